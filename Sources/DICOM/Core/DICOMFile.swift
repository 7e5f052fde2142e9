/// A DICOM file (PS3.10 7): preamble, file meta information and the data set.
public struct DICOMFile: Sendable, Equatable {
    /// The 128-byte preamble; nil for a file read leniently without one.
    public var preamble: [UInt8]?
    /// The file meta information, group 0002, always Explicit VR Little Endian (PS3.10 7.1).
    /// Empty for a data set read leniently without one.
    public var fileMeta: DataSet
    public var dataSet: DataSet
    /// The data set's encoding: from (0002,0010), or guessed in a lenient read.
    public var transferSyntax: TransferSyntax
    /// For a header-only read: where the pixel data element's tag starts in the file.
    public var pixelDataOffset: Int?
    /// The file that `.bulk` values refer to, kept open, when the read left some there.
    public var bulkDataFile: OpenFile?
    /// A deflated data set's compressed bytes as read, written back if the data set is unchanged.
    var deflatedAsRead: [UInt8]?
    /// Deflated streams up to this size are kept as read.
    static let keptDeflatedStreamLimit = 64 << 20

    public init(preamble: [UInt8]? = [UInt8](repeating: 0, count: 128), fileMeta: DataSet, dataSet: DataSet,
                transferSyntax: TransferSyntax) {
        self.preamble = preamble
        self.fileMeta = fileMeta
        self.dataSet = dataSet
        self.transferSyntax = transferSyntax
    }

    /// A new file for a data set: the meta group is made from its SOP class and
    /// instance (PS3.10 7.1).
    public init(dataSet: DataSet, transferSyntax: TransferSyntax = .explicitVRLittleEndian,
                implementationClassUID: String = DICOMFile.implementationClassUID,
                implementationVersionName: String = DICOMFile.implementationVersionName) {
        var meta = DataSet()
        meta[.fileMetaInformationGroupLength] = DataElement(tag: .fileMetaInformationGroupLength, vr: .UL, bytes: [0, 0, 0, 0])
        meta[.fileMetaInformationVersion] = DataElement(tag: .fileMetaInformationVersion, vr: .OB, bytes: [0x00, 0x01])
        let sopClass = dataSet[.sopClassUID]?.bytes ?? []
        let sopInstance = dataSet[.sopInstanceUID]?.bytes ?? []
        meta[.mediaStorageSOPClassUID] = DataElement(tag: .mediaStorageSOPClassUID, vr: .UI, bytes: sopClass)
        meta[.mediaStorageSOPInstanceUID] = DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, bytes: sopInstance)
        meta[.transferSyntaxUID] = DataElement(tag: .transferSyntaxUID, vr: .UI, bytes: padded(transferSyntax.uid, with: 0))
        meta[.implementationClassUID] = DataElement(tag: .implementationClassUID, vr: .UI, bytes: padded(implementationClassUID, with: 0))
        meta[.implementationVersionName] = DataElement(tag: .implementationVersionName, vr: .SH, bytes: padded(implementationVersionName, with: 0x20))
        self.init(fileMeta: meta, dataSet: dataSet, transferSyntax: transferSyntax)
    }

    /// Lifeboat's implementation class UID (PS3.7 D.3.3.2), under the UUID-derived root 2.25.
    public static let implementationClassUID = "2.25.133217155429431931052478826120870214591"
    public static let implementationVersionName = "LIFEBOAT_0"
}

/// ASCII bytes padded to even length (PS3.5 6.2).
func padded(_ text: String, with byte: UInt8) -> [UInt8] {
    var bytes = Array(text.utf8)
    if bytes.count % 2 == 1 { bytes.append(byte) }
    return bytes
}
