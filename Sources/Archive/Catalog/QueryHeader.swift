import DICOM

/// What the catalog keeps of a series' first header for queries beyond its columns: any
/// attribute a C-FIND or QIDO-RS may match or ask back (sequences included), without pixel
/// data, bulk values, private or oversized elements, and with text in UTF-8, so that every
/// answer can be in one character set.
enum QueryHeader {
    /// Larger elements are left out: no query key is that long (PS3.4 C.2.2.2 keys are texts,
    /// numbers and small sequences).
    static let maximumElementLength = 1024
    static let maximumSequenceLength = 16 * 1024

    /// (0008,0005) saying the text is UTF-8 (PS3.3 C.12.1.1.2, ISO_IR 192).
    static let utf8Declaration = DataElement(tag: .specificCharacterSet, vr: .CS, strings: ["ISO_IR 192"])

    static func encode(_ dataSet: DataSet) -> [UInt8] {
        (try? normalized(dataSet).encoded(in: .explicitVRLittleEndian)) ?? []
    }

    /// The header as kept: trimmed, its text in UTF-8 and saying so.
    static func normalized(_ dataSet: DataSet) -> DataSet {
        var kept = trimmed(dataSet, characterSet: dataSet.specificCharacterSet)
        kept[.specificCharacterSet] = utf8Declaration
        return kept
    }

    static func decode(_ bytes: [UInt8]) -> DataSet {
        (try? DataSet(decoding: bytes, in: .explicitVRLittleEndian)) ?? DataSet()
    }

    private static func trimmed(_ dataSet: DataSet, characterSet: SpecificCharacterSet) -> DataSet {
        var kept: [DataElement] = []
        for element in dataSet {
            let tag = element.tag
            // File meta, group lengths, private elements, pixel data, icons (PS3.3 C.7.6.1.1.6).
            if tag.group == 0x0002 || tag.element == 0 || tag.group % 2 == 1 || tag.group == 0x7FE0 || tag == Tag.iconImageSequence { continue }
            if tag == .specificCharacterSet { continue }
            if let items = element.sequenceItems {
                let inner = items.map { item in
                    Item(dataSet: trimmed(item.dataSet, characterSet: item.dataSet.characterSet(inherited: characterSet)))
                }
                let sequence = DataElement(tag: tag, items: inner)
                if DataSet([sequence]).encodedLength(explicitVR: true) <= maximumSequenceLength { kept.append(sequence) }
                continue
            }
            let vr = element.valueVR
            guard vr.isString || [.US, .SS, .UL, .SL, .FL, .FD, .AT, .SV, .UV].contains(vr),
                  let bytes = element.bytes, bytes.count <= maximumElementLength else { continue }
            if vr.usesSpecificCharacterSet {
                // Decoded in the data set's character set and written again as UTF-8; a value
                // that does not decode is left out rather than kept garbled.
                guard let values = try? element.strings(characterSet: characterSet) else { continue }
                kept.append(DataElement(tag: tag, vr: vr, strings: values))
            } else {
                kept.append(DataElement(tag: tag, vr: vr, bytes: bytes))
            }
        }
        return DataSet(kept)
    }
}
