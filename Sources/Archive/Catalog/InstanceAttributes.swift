import DICOM

/// What the catalog keeps of an instance's header: the attributes query/retrieve matches
/// and returns at each level (PS3.4 C.6.1.1 and C.6.2.1: required, unique and common
/// optional keys), read without the pixel data. Which tag fills which field, and which
/// column keeps it, is `CatalogAttribute.all`.
public struct InstanceAttributes: Sendable, Equatable {
    public var patientID = ""
    public var issuerOfPatientID = ""
    public var patientName = ""
    public var patientBirthDate = ""
    public var patientSex = ""

    public var studyInstanceUID = ""
    public var studyDate = ""
    public var studyTime = ""
    public var accessionNumber = ""
    public var studyID = ""
    public var studyDescription = ""
    public var referringPhysicianName = ""

    public var seriesInstanceUID = ""
    public var modality = ""
    public var seriesNumber: Int?
    public var seriesDescription = ""
    public var bodyPartExamined = ""
    public var seriesDate = ""
    public var seriesTime = ""

    public var sopInstanceUID = ""
    public var sopClassUID = ""
    public var instanceNumber: Int?
    public var numberOfFrames: Int?

    public init() {}
}

/// Why a data set cannot be cataloged.
public struct InvalidInstanceError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension InstanceAttributes {
    /// Reads the attributes of a data set, checking that the three identifying UIDs and the
    /// SOP class are present and well-formed (PS3.5 9.1).
    public init(_ dataSet: DataSet) throws(InvalidInstanceError) {
        func text(_ tag: Tag) -> String {
            // A value that does not decode in its character set is kept out of the
            // catalog rather than refusing the image: the blob keeps it as sent.
            ((try? dataSet.string(tag)) ?? nil) ?? ""
        }
        func number(_ tag: Tag) -> Int? { (try? dataSet.int(tag)) ?? nil }
        func uid(_ tag: Tag, _ name: String) throws(InvalidInstanceError) -> String {
            guard let value = dataSet.uid(tag) else { throw InvalidInstanceError("\(name) \(tag) is missing") }
            guard UID.isWellFormed(value) else { throw InvalidInstanceError("\(name) \(tag) \"\(value)\" is not a valid UID") }
            return value
        }
        self.init()
        for attribute in CatalogAttribute.all {
            switch attribute.field {
            case .text(let path): self[keyPath: path] = text(attribute.tag)
            case .number(let path): self[keyPath: path] = number(attribute.tag)
            case .uid(let path, let name): self[keyPath: path] = try uid(attribute.tag, name)
            }
        }
    }
}

public enum UID {
    /// PS3.5 9.1: at most 64 characters, dot-separated components of digits, no empty
    /// component and no leading zero in a component of more than one digit.
    public static func isWellFormed(_ uid: String) -> Bool {
        let bytes = Array(uid.utf8)
        guard !bytes.isEmpty, bytes.count <= 64 else { return false }
        return bytes.split(separator: 0x2E, omittingEmptySubsequences: false).allSatisfy { component in
            !component.isEmpty && component.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && (component.count == 1 || component.first != 0x30)
        }
    }
}
