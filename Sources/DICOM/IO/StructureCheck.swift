/// Whether a data set is whole — what an archive must know before it acknowledges one:
/// every value within the stream and its item, sequences and encapsulated pixel data closed
/// (PS3.5 7.5, A.4), and native pixel data as long as its rows, columns, samples, bits and
/// frames say (PS3.5 8.1.1, PS3.3 C.7.6.3).
public enum StructureCheck {
    /// What is wrong: `summary` fits a DIMSE Error Comment (an LO, 64 characters), `detail`
    /// says where, for the log.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let summary: String
        public let detail: String
        public var description: String { detail }
    }

    /// Reads a whole Part 10 file, large values left in place; the file read, or what is wrong with it.
    public static func read(path: String) throws(Problem) -> DICOMFile {
        let file: DICOMFile
        do {
            file = try DICOMFile(path: path, options: .structure)
        } catch {
            throw problem(error)
        }
        if let problem = pixelProblem(file.dataSet, transferSyntax: file.transferSyntax) { throw problem }
        return file
    }

    /// A read error as a problem: what was cut or malformed, by element.
    public static func problem(_ error: DICOMError) -> Problem {
        let element = error.tag.map { tag in tag.keyword.map { "\(Self.words($0)) \(tag)" } ?? "\(tag)" } ?? "the data set"
        let summary: String = switch error.code {
        case .lengthPastEnd: "\(element) runs past the end of the data set"
        case .truncated: "the data set ends inside \(element)"
        case .malformedEncapsulation: "\(element): malformed encapsulated fragments"
        case .malformedSequence: "\(element): malformed sequence"
        case .notPart10, .notDICOM, .invalidFileMeta: "not a DICOM Part 10 data set"
        default: "\(element) cannot be read"
        }
        return Problem(summary: String(summary.prefix(64)), detail: "\(summary): \(error)")
    }

    /// What is wrong with a data set's pixel data, if anything: an encapsulated transfer syntax
    /// without fragments, or native pixel data shorter than its geometry. (A data set without
    /// pixel data is whole as far as its structure goes: headers stripped of their pixels are
    /// sent on purpose; one cut short in transit never ends its last P-DATA fragment.)
    public static func pixelProblem(_ dataSet: DataSet, transferSyntax: TransferSyntax) -> Problem? {
        guard let element = dataSet[.pixelData] ?? dataSet[.floatPixelData] ?? dataSet[.doubleFloatPixelData] else { return nil }
        let length: Int
        switch element.value {
        case .encapsulated(let pixels):
            // PS3.5 A.4: the basic offset table item, then at least one fragment.
            return pixels.fragments.isEmpty ? Problem(summary: "encapsulated pixel data without a fragment",
                                                      detail: "encapsulated pixel data without a fragment (PS3.5 A.4)") : nil
        case .bytes(let bytes): length = bytes.count
        case .bulk(let reference): length = reference.length
        case .sequence: return Problem(summary: "pixel data is a sequence", detail: "\(element.tag) holds items, not pixels")
        }
        if transferSyntax.isEncapsulated && element.tag == .pixelData {
            return Problem(summary: "pixel data not encapsulated as its syntax needs",
                           detail: "transfer syntax \(transferSyntax.uid) needs encapsulated pixel data (PS3.5 A.4), found a value of \(length) bytes")
        }
        guard let geometry = PixelGeometry(dataSet), length < geometry.totalLength else { return nil }
        return Problem(summary: "pixel data cut short: \(length) of \(geometry.totalLength) bytes",
                       detail: "pixel data holds \(length) bytes; \(geometry.rows) rows x \(geometry.columns) columns x "
                           + "\(geometry.storedSamplesPerPixel) samples x \(geometry.bitsAllocated) bits x \(geometry.numberOfFrames) frames "
                           + "need \(geometry.totalLength) (PS3.5 8.1.1)")
    }

    /// "PixelData" as "Pixel Data".
    static func words(_ keyword: String) -> String {
        var text = ""
        for character in keyword {
            if character.isUppercase, let last = text.last, last.isLowercase { text.append(" ") }
            text.append(character)
        }
        return text
    }
}
