import Foundation

/// The DICOM JSON model of a data set (PS3.18 F.2): an object keyed by tag, each
/// attribute a "vr" and a "Value", "InlineBinary" or "BulkDataURI".
public struct DICOMJSONEncoder: Sendable {
    /// Where a bulk value sits: the sequence path down to it and its element.
    public struct BulkDataLocation: Sendable {
        /// Each enclosing sequence's tag and the item's index (0-based).
        public var path: [(sequence: Tag, item: Int)]
        public var tag: Tag
        public var vr: VR
        /// Where in its file the value lies, when it was left there.
        public var reference: BulkDataReference?
    }

    /// Binary values of at least this many bytes, and all pixel data, go by URI when
    /// `bulkDataURI` gives one; smaller ones inline as Base64 (PS3.18 F.2.7).
    public var bulkDataThreshold: Int
    /// A URI for a bulk value; nil inlines it.
    public var bulkDataURI: @Sendable (BulkDataLocation) -> String?

    public init(bulkDataThreshold: Int = 1024, bulkDataURI: @escaping @Sendable (BulkDataLocation) -> String? = { _ in nil }) {
        self.bulkDataThreshold = bulkDataThreshold
        self.bulkDataURI = bulkDataURI
    }

    public func encode(_ dataSet: DataSet, characterSet inherited: SpecificCharacterSet = .default) throws(DICOMValueError) -> JSONValue {
        try encode(dataSet, path: [], characterSet: inherited)
    }

    private func encode(_ dataSet: DataSet, path: [(sequence: Tag, item: Int)], characterSet inherited: SpecificCharacterSet) throws(DICOMValueError) -> JSONValue {
        let characterSet = dataSet.characterSet(inherited: inherited)
        var members: [(String, JSONValue)] = []
        for element in dataSet.elements.sorted(by: { $0.tag < $1.tag }) {
            // A UN element of a standard tag is modelled with the dictionary's VR (PS3.5 6.2.2).
            var attribute: [(String, JSONValue)] = [("vr", .string(element.valueVR.rawValue))]
            let location = BulkDataLocation(path: path, tag: element.tag, vr: element.vr, reference: nil)
            switch element.value {
            case _ where element.sequenceItems != nil:
                // Sequences, and UN values that are sequences (PS3.5 6.2.2), modelled as SQ.
                let items = element.sequenceItems ?? []
                attribute = [("vr", .string(VR.SQ.rawValue))]
                if !items.isEmpty {
                    var encoded: [JSONValue] = []
                    for (index, item) in items.enumerated() {
                        encoded.append(try encode(item.dataSet, path: path + [(element.tag, index)], characterSet: characterSet))
                    }
                    attribute.append(("Value", .array(encoded)))
                }
            case .sequence:
                break // a sequence always has sequenceItems
            case .encapsulated(let pixels):
                // Encapsulated pixel data: its items, by URI (their range in the file) or inline.
                var located = location
                located.reference = pixels.fileRange
                attribute.append(try binary(located, bytes: try? encodedValue(element)))
            case .bulk(let reference):
                var located = location
                located.reference = reference
                if let uri = bulkDataURI(located) {
                    attribute.append(("BulkDataURI", .string(uri)))
                } else {
                    throw DICOMValueError(.notInMemory, tag: element.tag, "the value was left in its file and no bulk data URI was given for it")
                }
            case .bytes(let bytes):
                if element.valueVR.isBulkDataCandidate {
                    if !bytes.isEmpty { attribute.append(try binary(location, bytes: bytes)) }
                } else if let values = try values(of: element, characterSet: characterSet), !values.isEmpty {
                    attribute.append(("Value", .array(values)))
                }
            }
            members.append((element.tag.hexString, .object(attribute)))
        }
        return .object(members)
    }

    /// A binary value by URI when it is large and a URI is given, else inline in Base64.
    /// `bytes` is nil when the value is not all in memory.
    private func binary(_ location: BulkDataLocation, bytes: [UInt8]?) throws(DICOMValueError) -> (String, JSONValue) {
        let large = location.tag.isPixelData || (bytes?.count ?? Int.max) >= bulkDataThreshold
        if large, let uri = bulkDataURI(location) { return ("BulkDataURI", .string(uri)) }
        guard let bytes else {
            throw DICOMValueError(.notInMemory, tag: location.tag, "part of the value was left in its file and no bulk data URI was given for it")
        }
        return ("InlineBinary", .string(Data(bytes).base64EncodedString()))
    }

    private static func nonFinite(_ value: Double) -> JSONValue {
        .string(value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity")
    }

    /// The items of encapsulated pixel data as encoded.
    private func encodedValue(_ element: DataElement) throws(DICOMValueError) -> [UInt8] {
        let sink = MemorySink()
        var encoder = DataSetEncoder(sink: sink, explicitVR: true, bigEndian: false, bulkData: nil)
        do {
            try encoder.encode(element, swapSize: 1) // encapsulated: bytes, never swapped
            try encoder.flush()
        } catch {
            throw DICOMValueError(.notInMemory, tag: element.tag, error.message)
        }
        // The value without its header or closing delimiter, as other toolkits give it.
        return Array(sink.bytes.dropFirst(12).dropLast(element.hasUndefinedLength ? 8 : 0))
    }

    /// "Value" entries for strings, numbers, person names and tags (PS3.18 F.2.3-F.2.6).
    private func values(of element: DataElement, characterSet: SpecificCharacterSet) throws(DICOMValueError) -> [JSONValue]? {
        switch element.valueVR {
        case .PN:
            return try element.strings(characterSet: characterSet).map { text in
                if text.isEmpty { return .null }
                var groups: [(String, JSONValue)] = []
                let texts = text.split(separator: "=", omittingEmptySubsequences: false)
                for (key, group) in zip(["Alphabetic", "Ideographic", "Phonetic"], texts) where !group.isEmpty {
                    groups.append((key, .string(String(group))))
                }
                return .object(groups)
            }
        case .DS, .IS:
            return try element.strings().map { text in
                if text.isEmpty { return .null }
                if JSONValue.isNumber(text) { return .number(text) }
                let cleaned = text.hasPrefix("+") ? String(text.dropFirst()) : text
                if element.valueVR == .IS, let int = Int(cleaned) { return .number(String(int)) }
                if element.valueVR == .DS, let double = Double(cleaned), double.isFinite { return .number("\(double)") }
                return .string(text) // not a number: kept as written rather than lost
            }
        case .AT:
            return try element.attributeTags().map { .string($0.hexString) }
        case .US, .SS, .UL, .SL:
            return try element.integers().map { .number(String($0)) }
        case .SV:
            return try element.binary(Int64.self).map { Swift.abs($0) <= 1 << 53 ? .number(String($0)) : .string(String($0)) }
        case .UV:
            return try element.binary(UInt64.self).map { $0 <= 1 << 53 ? .number(String($0)) : .string(String($0)) }
        case .FL:
            // The float's exact value as a double, so that readers of JSON numbers (doubles) get it.
            return try element.binary(Float.self).map { $0.isFinite ? .number("\(Double($0))") : Self.nonFinite(Double($0)) }
        case .FD:
            return try element.binary(Double.self).map { $0.isFinite ? .number("\($0)") : Self.nonFinite($0) }
        default:
            guard element.valueVR.isString else { return nil }
            return try element.strings(characterSet: characterSet).map { $0.isEmpty ? .null : .string($0) }
        }
    }
}
