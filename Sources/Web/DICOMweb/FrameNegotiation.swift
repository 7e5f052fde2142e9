import DICOM

/// Which form frames go in, from the Accept header's media ranges (PS3.18 8.7.3, 8.7.3.5):
/// tried in order of q-value, then as written, the first the archive can give wins.
/// `application/octet-stream` is native samples (Explicit VR Little Endian) unless a
/// `transfer-syntax` says otherwise — `*` lets the server send the stored bitstream —;
/// `image/jpeg`, `image/jls`, `image/jp2`, `image/jphc`, `image/dicom-rle` are the stored
/// bitstream when it is of that kind. Compressed frames are decoded, never re-encoded.
struct FrameNegotiation: Equatable {
    /// The stored bitstream, as `mediaType`; or the frames decoded to native samples.
    enum Form: Equatable { case stored(mediaType: String), native }

    let ranges: [MediaRange]
    /// Whether an Accept header named anything (all ranges at q=0 accept nothing).
    let named: Bool

    /// The ranges of an Accept header for frames: multipart/related ones give their `type`
    /// (application/octet-stream when none); bare media types stand for themselves.
    init(accept: String?) {
        (ranges, named) = MediaRange.parse(accept, multipartDefault: "application/octet-stream")
    }

    /// The form for frames stored in `syntax`; nil when no range can be met. No Accept
    /// header at all, or `*/*`, takes the frames as stored.
    func form(storedIn syntax: TransferSyntax, decodable: Bool) -> Form? {
        let stored: Form = syntax.isEncapsulated ? .stored(mediaType: Self.mediaType(of: syntax)) : .native
        if !named { return stored }
        for range in ranges {
            switch range.type {
            case "*/*":
                return stored
            case "application/octet-stream":
                switch range.transferSyntax {
                case nil, TransferSyntax.explicitVRLittleEndian.uid:
                    if !syntax.isEncapsulated || decodable { return .native }
                case "*", syntax.uid?:
                    return syntax.isEncapsulated ? .stored(mediaType: "application/octet-stream") : .native
                default:
                    continue
                }
            default:
                guard syntax.isEncapsulated, Self.mediaType(of: syntax) == range.type || (range.type == "image/*") else { continue }
                if range.transferSyntax == nil || range.transferSyntax == "*" || range.transferSyntax == syntax.uid {
                    return .stored(mediaType: Self.mediaType(of: syntax))
                }
            }
        }
        return nil
    }

    /// The media type of a compressed frame (PS3.18 table 8.7.3-5).
    static func mediaType(of syntax: TransferSyntax) -> String {
        switch syntax.uid {
        case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70": "image/jpeg"
        case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81": "image/jls"
        case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91": "image/jp2"
        case "1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93": "image/jpx"
        case "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203": "image/jphc"
        case "1.2.840.10008.1.2.5": "image/dicom-rle"
        default: "application/octet-stream"
        }
    }
}
