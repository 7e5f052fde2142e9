/// A text listing of a file in the manner of dcmdump: one line an element, tag, VR,
/// value, then length, multiplicity and keyword; sequences indented.
public struct DumpFormatter: Sendable {
    /// Longer values are cut, with "..." to say so.
    public var maximumValueWidth = 64
    /// The encoding the lengths of defined-length sequences are shown in.
    public var explicitVR = true

    public init() {}

    public func format(_ file: DICOMFile) -> String {
        var formatter = self
        formatter.explicitVR = file.transferSyntax.isExplicitVR
        return formatter.formatFile(file)
    }

    private func formatFile(_ file: DICOMFile) -> String {
        var lines: [String] = []
        lines.append("# Preamble: " + (file.preamble == nil ? "none" : "128 bytes"))
        lines.append("# Transfer syntax: \(file.transferSyntax.name) (\(file.transferSyntax.uid))")
        lines.append("")
        lines.append("# File meta information")
        format(file.fileMeta, depth: 0, characterSet: .default, into: &lines)
        lines.append("")
        lines.append("# Data set")
        format(file.dataSet, depth: 0, characterSet: .default, into: &lines)
        if let offset = file.pixelDataOffset { lines.append("# Pixel data at byte \(offset), not read") }
        return lines.joined(separator: "\n") + "\n"
    }

    public func format(_ dataSet: DataSet, depth: Int = 0, characterSet inherited: SpecificCharacterSet = .default, into lines: inout [String]) {
        let characterSet = dataSet.characterSet(inherited: inherited)
        let indent = String(repeating: "  ", count: depth)
        for element in dataSet {
            let keyword = element.tag.isPrivateCreator ? "PrivateCreator" : (element.tag.keyword ?? (element.tag.isPrivate ? "Private" : "Unknown"))
            switch element.value {
            case .sequence(let items):
                let length = element.hasUndefinedLength ? "u/l" : "\(DataSetEncoder.itemsLength(items, explicitVR: explicitVR && element.vr != .UN))"
                lines.append(line(indent, element, "(Sequence #=\(items.count))", length: length, multiplicity: 1, keyword: keyword))
                for (index, item) in items.enumerated() {
                    lines.append("\(indent)  (FFFE,E000) na (Item \(index + 1)\(item.hasUndefinedLength ? ", undefined length" : ""))")
                    format(item.dataSet, depth: depth + 2, characterSet: characterSet, into: &lines)
                }
            case .encapsulated(let pixels):
                lines.append(line(indent, element, "(PixelSequence #=\(pixels.fragments.count + 1))", length: "u/l", multiplicity: 1, keyword: keyword))
                lines.append("\(indent)  (FFFE,E000) pi (Basic offset table, \(pixels.basicOffsetTable.count) bytes)")
                for (index, fragment) in pixels.fragments.enumerated() {
                    lines.append("\(indent)  (FFFE,E000) pi (Fragment \(index + 1), \(fragment.length) bytes)")
                }
            case .bulk(let reference):
                lines.append(line(indent, element, "(not loaded: \(reference.length) bytes at byte \(reference.offset))",
                                  length: "\(reference.length)", multiplicity: 1, keyword: keyword))
            case .bytes(let bytes):
                let (text, multiplicity) = describe(element, characterSet: characterSet)
                lines.append(line(indent, element, text, length: "\(bytes.count)", multiplicity: multiplicity, keyword: keyword))
            }
        }
    }

    private func line(_ indent: String, _ element: DataElement, _ value: String, length: String, multiplicity: Int, keyword: String) -> String {
        let head = "\(indent)\(element.tag) \(element.vr.rawValue) \(value)"
        let padding = String(repeating: " ", count: max(1, 56 - head.count))
        return "\(head)\(padding)# \(length), \(multiplicity) \(keyword)"
    }

    private func describe(_ element: DataElement, characterSet: SpecificCharacterSet) -> (String, Int) {
        let bytes = element.bytes ?? []
        if bytes.isEmpty { return ("(no value)", 0) }
        do {
            switch element.vr {
            case _ where element.vr.isString:
                let values = try element.strings(characterSet: characterSet)
                return ("[" + cut(values.joined(separator: "\\")) + "]", values.count)
            case .AT:
                let tags = try element.attributeTags()
                return (cut(tags.map(\.description).joined(separator: "\\")), tags.count)
            case .US, .SS, .UL, .SL, .SV, .UV:
                let numbers = try element.integers()
                return (cut(numbers.map(String.init).joined(separator: "\\")), numbers.count)
            case .FL, .FD:
                let numbers = try element.doubles()
                return (cut(numbers.map { "\($0)" }.joined(separator: "\\")), numbers.count)
            default:
                return (cut(bytes.prefix(maximumValueWidth / 3 + 1).map(hex2).joined(separator: "\\")), 1)
            }
        } catch {
            return ("(unreadable: \(error.message); \(cut(bytes.prefix(24).map(hex2).joined(separator: "\\"))))", 1)
        }
    }

    private func cut(_ text: String) -> String {
        text.count <= maximumValueWidth ? text : String(text.prefix(maximumValueWidth - 3)) + "..."
    }
}
