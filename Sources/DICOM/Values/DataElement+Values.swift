/// Typed access to a value (PS3.5 6.2). Strings are decoded with the character set
/// given (the data set's own, by default, through `DataSet`'s accessors).
extension DataElement {
    /// The VR values are read as: for a UN element of a standard tag, the dictionary's
    /// (PS3.5 6.2.2 lets a receiver; a UN value is always little endian).
    public var valueVR: VR {
        guard vr == .UN, let vrs = DataDictionary.entry(for: tag)?.vrs, vrs.count == 1, vrs[0] != .SQ else { return vr }
        return vrs[0]
    }

    /// The items of a sequence, including a UN element of a tag the dictionary says is a
    /// sequence (PS3.5 6.2.2); nil for other elements or bytes that are not items.
    public var sequenceItems: [Item]? {
        if let items { return items }
        guard vr == .UN, let bytes, DataDictionary.entry(for: tag)?.vrs == [.SQ] else { return nil }
        return try? DataSetParser.items(ofUnknown: bytes, tag: tag)
    }

    func inMemory() throws(DICOMValueError) -> [UInt8] {
        guard let bytes else { throw DICOMValueError(.notInMemory, tag: tag, "the value is a sequence or was left in its file") }
        return bytes
    }

    /// The whole value as text, padding removed (PS3.5 6.2: trailing spaces and NULs never
    /// count; leading spaces count only in LT, ST, UT and UR).
    public func string(characterSet: SpecificCharacterSet = .default) throws(DICOMValueError) -> String {
        let text: String
        do {
            text = try characterSet.decode(try inMemory(), vr: valueVR)
        } catch {
            throw DICOMValueError(error.code, tag: tag, error.message)
        }
        return trimmed(text, keepLeading: valueVR.isSingleValuedText)
    }

    /// The values of a string element, split at backslashes (PS3.5 6.4), each trimmed.
    public func strings(characterSet: SpecificCharacterSet = .default) throws(DICOMValueError) -> [String] {
        let whole = try string(characterSet: characterSet)
        if whole.isEmpty { return [] }
        if valueVR.isSingleValuedText { return [whole] }
        return whole.split(separator: "\\", omittingEmptySubsequences: false).map { trimmed(String($0), keepLeading: false) }
    }

    /// Integers of IS, US, SS, UL, SL, SV and UV values.
    public func integers() throws(DICOMValueError) -> [Int] {
        switch valueVR {
        case .IS:
            return try strings().map { text throws(DICOMValueError) in
                guard let value = Int(text.hasPrefix("+") ? String(text.dropFirst()) : text) else {
                    throw DICOMValueError(.invalidValue, tag: tag, "\"\(text)\" is not an integer string (IS)")
                }
                return value
            }
        case .US: return try binary(UInt16.self).map(Int.init)
        case .SS: return try binary(Int16.self).map(Int.init)
        case .UL: return try binary(UInt32.self).map(Int.init)
        case .SL: return try binary(Int32.self).map(Int.init)
        case .SV: return try binary(Int64.self).map(Int.init)
        case .UV:
            return try binary(UInt64.self).map { value throws(DICOMValueError) in
                guard let int = Int(exactly: value) else { throw DICOMValueError(.invalidValue, tag: tag, "\(value) does not fit an Int") }
                return int
            }
        default: throw notA("integer")
        }
    }

    /// Numbers of DS, FL, FD, OF and OD values, and of the integer VRs.
    public func doubles() throws(DICOMValueError) -> [Double] {
        switch valueVR {
        case .DS:
            return try strings().map { text throws(DICOMValueError) in
                guard let value = Double(text), text.allSatisfy({ "0123456789+-.eE".contains($0) }) else {
                    throw DICOMValueError(.invalidValue, tag: tag, "\"\(text)\" is not a decimal string (DS)")
                }
                return value
            }
        case .FL, .OF: return try binary(Float.self).map(Double.init)
        case .FD, .OD: return try binary(Double.self)
        default: return try integers().map(Double.init)
        }
    }

    /// The numbers of a binary value, read little endian.
    public func binary<T: BinaryInteger & FixedWidthInteger>(_ type: T.Type) throws(DICOMValueError) -> [T] {
        let bytes = try inMemory()
        let size = MemoryLayout<T>.size
        guard bytes.count % size == 0 else {
            throw DICOMValueError(.invalidLength, tag: tag, "\(bytes.count) bytes are not a whole number of \(size)-byte values")
        }
        return stride(from: 0, to: bytes.count, by: size).map { start in
            var value = T.zero
            for index in (0..<size).reversed() { value = value << 8 | T(bytes[start + index]) }
            return value
        }
    }

    public func binary(_ type: Float.Type) throws(DICOMValueError) -> [Float] {
        try binary(UInt32.self).map(Float.init(bitPattern:))
    }

    public func binary(_ type: Double.Type) throws(DICOMValueError) -> [Double] {
        try binary(UInt64.self).map(Double.init(bitPattern:))
    }

    /// Tags of an AT value: pairs of 16-bit numbers, group first (PS3.5 6.2).
    public func attributeTags() throws(DICOMValueError) -> [Tag] {
        guard valueVR == .AT else { throw notA("attribute tag") }
        let numbers = try binary(UInt16.self)
        guard numbers.count % 2 == 0 else { throw DICOMValueError(.invalidLength, tag: tag, "an odd number of 16-bit numbers") }
        return stride(from: 0, to: numbers.count, by: 2).map { Tag(numbers[$0], numbers[$0 + 1]) }
    }

    public func personNames(characterSet: SpecificCharacterSet = .default) throws(DICOMValueError) -> [PersonName] {
        guard valueVR == .PN else { throw notA("person name") }
        return try strings(characterSet: characterSet).map(PersonName.init)
    }

    public func dates() throws(DICOMValueError) -> [DICOMDate] {
        guard valueVR == .DA else { throw notA("date") }
        return try strings().map { text throws(DICOMValueError) in
            guard let date = DICOMDate(text) else { throw DICOMValueError(.invalidValue, tag: tag, "\"\(text)\" is not a date (DA)") }
            return date
        }
    }

    public func times() throws(DICOMValueError) -> [DICOMTime] {
        guard valueVR == .TM else { throw notA("time") }
        return try strings().map { text throws(DICOMValueError) in
            guard let time = DICOMTime(text) else { throw DICOMValueError(.invalidValue, tag: tag, "\"\(text)\" is not a time (TM)") }
            return time
        }
    }

    public func dateTimes() throws(DICOMValueError) -> [DICOMDateTime] {
        guard valueVR == .DT else { throw notA("date-time") }
        return try strings().map { text throws(DICOMValueError) in
            guard let value = DICOMDateTime(text) else { throw DICOMValueError(.invalidValue, tag: tag, "\"\(text)\" is not a date-time (DT)") }
            return value
        }
    }

    private func notA(_ kind: String) -> DICOMValueError {
        DICOMValueError(.invalidValue, tag: tag, "a \(valueVR.rawValue) value is not read as \(kind)")
    }
}

func trimmed(_ text: String, keepLeading: Bool) -> String {
    var scalars = Substring(text).unicodeScalars
    while let last = scalars.last, last == " " || last == "\0" { scalars.removeLast() }
    if !keepLeading { while let first = scalars.first, first == " " { scalars.removeFirst() } }
    return String(scalars)
}

extension DataElement {
    /// Builds a string element; values joined by backslashes, padded to even length.
    public init(tag: Tag, vr: VR, strings: [String]) {
        let text = strings.joined(separator: "\\")
        self.init(tag: tag, vr: vr, bytes: padded(text, with: vr.paddingByte))
    }

    /// Builds a US, SS, UL, SL, SV or UV element.
    public init<T: FixedWidthInteger>(tag: Tag, vr: VR, integers: [T]) {
        var bytes: [UInt8] = []
        for value in integers {
            for index in 0..<MemoryLayout<T>.size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
        }
        self.init(tag: tag, vr: vr, bytes: bytes)
    }
}

extension DataSet {
    /// The character set of (0008,0005), or the default repertoire.
    public var specificCharacterSet: SpecificCharacterSet {
        self[.specificCharacterSet]?.bytes.map(SpecificCharacterSet.init(bytes:)) ?? .default
    }

    /// The first value as text; nil when the element is absent or empty.
    /// `inherited` is the character set of the enclosing data set, for items of a sequence.
    public func string(_ tag: Tag, inherited: SpecificCharacterSet? = nil) throws(DICOMValueError) -> String? {
        try strings(tag, inherited: inherited).first
    }

    public func strings(_ tag: Tag, inherited: SpecificCharacterSet? = nil) throws(DICOMValueError) -> [String] {
        try self[tag]?.strings(characterSet: characterSet(inherited: inherited)) ?? []
    }

    public func int(_ tag: Tag) throws(DICOMValueError) -> Int? { try self[tag]?.integers().first }
    public func integers(_ tag: Tag) throws(DICOMValueError) -> [Int] { try self[tag]?.integers() ?? [] }
    public func double(_ tag: Tag) throws(DICOMValueError) -> Double? { try self[tag]?.doubles().first }
    public func doubles(_ tag: Tag) throws(DICOMValueError) -> [Double] { try self[tag]?.doubles() ?? [] }
    public func date(_ tag: Tag) throws(DICOMValueError) -> DICOMDate? { try self[tag]?.dates().first }
    public func time(_ tag: Tag) throws(DICOMValueError) -> DICOMTime? { try self[tag]?.times().first }
    public func dateTime(_ tag: Tag) throws(DICOMValueError) -> DICOMDateTime? { try self[tag]?.dateTimes().first }
    public func attributeTags(_ tag: Tag) throws(DICOMValueError) -> [Tag] { try self[tag]?.attributeTags() ?? [] }

    public func personName(_ tag: Tag, inherited: SpecificCharacterSet? = nil) throws(DICOMValueError) -> PersonName? {
        try self[tag]?.personNames(characterSet: characterSet(inherited: inherited)).first
    }

    /// A UID value: ASCII, NUL padding removed.
    public func uid(_ tag: Tag) -> String? {
        guard let bytes = self[tag]?.bytes else { return nil }
        let text = trimmedASCII(bytes)
        return text.isEmpty ? nil : text
    }

    /// This data set's own character set if it declares one, else the enclosing one's.
    public func characterSet(inherited: SpecificCharacterSet?) -> SpecificCharacterSet {
        contains(.specificCharacterSet) ? specificCharacterSet : inherited ?? .default
    }
}
