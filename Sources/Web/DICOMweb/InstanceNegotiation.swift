import DICOM

/// Which form instances go in, from the Accept header (PS3.18 8.7.3.5.2, table 8.7.3-2):
/// `application/dicom` — in multipart/related, or single-part for one instance — with a
/// `transfer-syntax` parameter: `*` or the stored one gives the stored file, byte for byte;
/// Explicit or Implicit VR Little Endian a copy decoded on the way (`UncompressedCopy`);
/// anything else is not offered. With no `transfer-syntax` the stored file goes, its part's
/// Content-Type saying which syntax it is in (as Orthanc does: an archive's first duty is
/// to give back what it was given); ask for 1.2.840.10008.1.2.1 to have it decoded.
struct InstanceNegotiation: Equatable {
    enum Form: Equatable { case stored, uncompressed(TransferSyntax) }

    let ranges: [MediaRange]
    let named: Bool

    init(accept: String?) {
        (ranges, named) = MediaRange.parse(accept, multipartDefault: "application/dicom")
    }

    /// The form for an instance stored in `syntax`, and whether it goes in multipart/related;
    /// nil when no range can be met.
    func form(storedIn syntax: TransferSyntax, decodable: Bool) -> (form: Form, multipart: Bool)? {
        if !named { return (.stored, true) }
        for range in ranges {
            switch range.type {
            case "*/*", "multipart/*":
                return (.stored, true)
            case "application/dicom", "application/*":
                switch range.transferSyntax {
                case nil, "*", syntax.uid?:
                    return (.stored, range.isMultipart)
                case let asked? where [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid].contains(asked):
                    guard !syntax.isEncapsulated || decodable, let target = TransferSyntax(uid: asked) else { continue }
                    return (.uncompressed(target), range.isMultipart)
                default:
                    continue
                }
            default:
                continue
            }
        }
        return nil
    }
}
