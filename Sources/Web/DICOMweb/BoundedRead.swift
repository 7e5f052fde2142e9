import DICOM

/// How the web side reads a stored file: large values stay in the file (memory stays small
/// whatever the instance's size) — except in a deflated data set, which has to be inflated
/// to be read: its large values are loaded, up to `inflatedLimit` in all; one that inflates
/// to more (a "deflate bomb", or just a large deflated image) is refused with 422 rather than
/// take the server's memory. Skipping its large values (for metadata), the whole stream is
/// inflated and read in bounded memory. It can still be retrieved as stored.
enum BoundedRead {
    static let inflatedLimit = 64 << 20

    static func file(_ path: String, bulkDataThreshold: Int, skippingBulkData: Bool = false) throws -> DICOMFile {
        var options = ReadOptions(bulkDataThreshold: bulkDataThreshold, skipsBulkData: skippingBulkData)
        if !skippingBulkData { options.maximumInflatedLength = inflatedLimit }
        let read = Result { () throws(DICOMError) in try DICOMFile(path: path, options: options) }
        if case .failure(let error) = read, error.code == .inflatedTooLarge {
            throw Problem(.unprocessableContent, "the deflated data set inflates to more than \(inflatedLimit >> 20) MiB, more than is read here: "
                          + "retrieve the instance as stored (WADO-RS) instead")
        }
        return try read.get()
    }
}
