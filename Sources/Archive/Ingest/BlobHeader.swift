import DICOM

/// The file meta information Lifeboat writes in front of every data set it stores. It
/// depends only on the SOP class, the instance and the transfer syntax, so the same data
/// set always makes the same blob, whoever sent it and however: a repeat is recognised
/// by its hash. Who sent it is in the catalog.
enum BlobHeader {
    static func bytes(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String) throws(DICOMError) -> [UInt8] {
        let syntax = TransferSyntax(uid: transferSyntaxUID) ?? TransferSyntax(uid: transferSyntaxUID, isExplicitVR: true, isEncapsulated: true)
        var file = DICOMFile(dataSet: DataSet(), transferSyntax: syntax)
        file.fileMeta[.mediaStorageSOPClassUID] = DataElement(tag: .mediaStorageSOPClassUID, vr: .UI, strings: [sopClassUID])
        file.fileMeta[.mediaStorageSOPInstanceUID] = DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, strings: [sopInstanceUID])
        file.fileMeta[.transferSyntaxUID] = DataElement(tag: .transferSyntaxUID, vr: .UI, strings: [transferSyntaxUID])
        return try file.fileMetaBytes()
    }
}
