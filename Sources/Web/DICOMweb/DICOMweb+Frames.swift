import Archive
import DICOM
import Hummingbird

/// WADO-RS frames (PS3.18 10.4.1.1.3) and rendered images (10.4.1.1.4): native frames as
/// octet streams, compressed ones as their bitstreams, and pictures for the screen — drawn
/// here as PNG or JPEG for native and RLE data, passed through for baseline JPEG.
extension DICOMweb {
    static func open(_ instance: StoredInstance) throws -> Frames {
        guard let path = instance.path else { throw Problem(.internalServerError, "the instance has no local file") }
        do {
            return try Frames(path: path)
        } catch let error as ImagingError {
            throw Problem(.notAcceptable, "\(error)")
        } catch let problem as Problem {
            throw problem
        } catch let error as DICOMError {
            throw Problem.internal("instance \(instance.sopInstanceUID) cannot be read", cause: error)
        }
    }

    /// "1,3,5" (PS3.18 8.3.3.1): frame numbers from 1, each once in the order first asked.
    /// A list longer than the instance has frames is refused before it is read any further:
    /// it can only repeat them, and would have the answer grow without bound.
    static func frameNumbers(_ list: String, count: Int) throws(Problem) -> [Int] {
        var numbers: [Int] = []
        var seen = Set<Int>()
        for (index, item) in list.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            guard index < count else { throw Problem.badRequest("more frame numbers than the instance's \(count) frames") }
            guard let number = Int(item), number >= 1 else { throw Problem.badRequest("\"\(list.prefix(64))\" is not a list of frame numbers from 1") }
            guard number <= count else { throw Problem.notFound("there is no frame \(number); the instance has \(count)") }
            if seen.insert(number).inserted { numbers.append(number) }
        }
        return numbers
    }

    func frames(_ request: Request, _ uids: [Tag: String], list: String) async throws -> Response {
        try Self.frames(list, of: try Self.open(try await instances(uids)[0]), request: request)
    }

    /// Kept apart from the async handler above: Swift 6.3.1's optimizer crashes splitting that
    /// coroutine when this body is inside it.
    static func frames(_ list: String, of frames: Frames, request: Request) throws -> Response {
        let numbers = try Self.frameNumbers(list, count: frames.count)
        let accept = request.headers[.accept]
        if let accept, !accept.lowercased().contains("multipart/related"), !accept.contains("*/*") {
            throw Problem.notAcceptable("frames are sent as multipart/related")
        }
        let syntax = frames.transferSyntax
        guard let form = FrameNegotiation(accept: accept).form(storedIn: syntax, decodable: frames.decodes) else {
            let stored = syntax.isEncapsulated ? "\(FrameNegotiation.mediaType(of: syntax)) (\(syntax.name))" : "native"
            throw Problem.notAcceptable("frames of this instance are \(stored)\(frames.decodes ? " or, decoded, application/octet-stream" : "")")
        }
        // Each part says its transfer syntax (PS3.18 8.7.3.5.2): native frames go little endian.
        let (type, partType): (String, String) = switch form {
        case .stored(let mediaType): (mediaType, "\(mediaType); transfer-syntax=\(syntax.uid)")
        case .native: ("application/octet-stream", "application/octet-stream; transfer-syntax=\(TransferSyntax.explicitVRLittleEndian.uid)")
        }
        // Read as each part is written: one frame in memory at a time.
        return Multipart.streamed(type: type, count: numbers.count) { index in
            (partType, form == .native ? try frames.nativeFrame(numbers[index]).bytes : try frames.frame(numbers[index]))
        }
    }

    /// A frame for the screen (PS3.18 10.4.1.1.4): PNG drawn here, or the JPEG as stored.
    /// `window=center,width` (PS3.18 8.3.5.1.3) sets the window, `viewport=width,height`
    /// (8.3.5.1.2) the most pixels.
    func rendered(_ request: Request, _ uids: [Tag: String], frame list: String?) async throws -> Response {
        let frames = try Self.open(try await instances(uids)[0])
        let number = try list.map { try Self.frameNumbers($0, count: frames.count)[0] } ?? 1
        let (window, viewport, quality) = try Self.renderingParameters(request)
        return try Self.picture(of: frames, frame: number, window: window, viewport: viewport, quality: quality, request: request)
    }

    /// The `window`, `viewport` and `quality` a rendered resource is asked for (PS3.18 8.3.5.1).
    static func renderingParameters(_ request: Request) throws(Problem) -> (window: Window?, viewport: (Int, Int)?, quality: Int?) {
        let parameters = request.uri.queryParameters
        return (try window(parameters["window"].map(String.init)), try viewport(parameters["viewport"].map(String.init)),
                try quality(parameters["quality"].map(String.init)))
    }

    /// `quality=1...100` (PS3.18 8.3.5.1.3): of a JPEG drawn here; a PNG is lossless whatever it says.
    static func quality(_ parameter: String?) throws(Problem) -> Int? {
        guard let parameter else { return nil }
        guard let quality = Int(parameter), (1...100).contains(quality) else { throw Problem.badRequest("quality is a whole number from 1 to 100") }
        return quality
    }

    /// A thumbnail (PS3.18 10.4.1.1.4.2): the middle instance of the series — of the study's
    /// first series for a study —, at most 128 x 128 unless a viewport says otherwise.
    /// An instance that cannot be drawn is passed over — named in the log — for the next
    /// nearest the middle, then the next series; eight tries at most (a series that cannot be
    /// drawn at all is one compressed in a syntax not drawn here, and so are its neighbours).
    func thumbnail(_ request: Request, _ uids: [Tag: String]) async throws -> Response {
        let found = try await instances(uids)
        let viewport = try Self.viewport(request.uri.queryParameters["viewport"].map(String.init)) ?? (128, 128)
        var series: [String] = []
        for instance in found where !series.contains(instance.seriesInstanceUID) { series.append(instance.seriesInstanceUID) }
        var lastError: (any Error)?
        var tries = 0
        for uid in series where tries < 8 {
            let members = found.filter { $0.seriesInstanceUID == uid }
            let middle = members.count / 2
            // The middle one, then outwards from it.
            let order = (0..<members.count).sorted { abs($0 - middle) < abs($1 - middle) || (abs($0 - middle) == abs($1 - middle) && $0 < $1) }
            for index in order where tries < 8 {
                tries += 1
                do {
                    let frames = try Self.open(members[index])
                    return try Self.picture(of: frames, frame: (frames.count + 1) / 2, window: nil, viewport: viewport, request: request)
                } catch {
                    logger.warning("thumbnail: an instance passed over, it cannot be drawn",
                                   metadata: ["instance": "\(members[index].sopInstanceUID)", "reason": "\(error)"])
                    lastError = error
                }
            }
            if uids[.seriesInstanceUID] != nil { break }
        }
        throw lastError ?? Problem.notFound("nothing to draw")
    }

    static func viewport(_ parameter: String?) throws(Problem) -> (Int, Int)? {
        guard let parameter else { return nil }
        let parts = parameter.split(separator: ",")
        guard parts.count >= 2, let width = Int(parts[0]), let height = Int(parts[1]), width >= 1, height >= 1 else {
            throw Problem.badRequest("viewport is width,height in pixels")
        }
        return (width, height)
    }

    static func window(_ parameter: String?) throws(Problem) -> Window? {
        guard let parameter else { return nil }
        let parts = parameter.split(separator: ",")
        guard parts.count >= 2, let center = Double(parts[0]), let width = Double(parts[1]), width >= 1 else {
            throw Problem.badRequest("window is center,width with a width of at least 1")
        }
        return Window(center: center, width: width)
    }

    static func picture(of frames: Frames, frame number: Int, window: Window?, viewport: (Int, Int)? = nil, quality: Int? = nil,
                        request: Request) throws -> Response {
        let (png, jpeg) = (accepts(request, ["image/png"]), accepts(request, ["image/jpeg"]))
        guard png || jpeg else { throw Problem.notAcceptable("frames are drawn as image/png or image/jpeg") }
        let (type, image) = try drawn(frames, frame: number, window: window, viewport: viewport, quality: quality, png: png, jpeg: jpeg)
        return Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(bytes: image)))
    }

    /// A frame drawn as PNG when `png` is accepted, else as JPEG (`quality`, else 90) — a
    /// baseline JPEG frame, when JPEG is accepted and nothing asks it changed, passed through
    /// as stored —, and its media type.
    static func drawn(_ frames: Frames, frame number: Int, window: Window?, viewport: (Int, Int)?, quality: Int?, png: Bool,
                      jpeg: Bool) throws -> (String, [UInt8]) {
        if jpeg && frames.transferSyntax.uid == TransferSyntax.jpegBaseline.uid && window == nil && viewport == nil && quality == nil {
            var jpeg = try frames.frame(number)
            if frames.description.photometric == "RGB" { jpeg = JPEGColorMarker.markedRGB(jpeg) }
            return ("image/jpeg", jpeg)
        }
        guard frames.decodes else {
            throw Problem.notAcceptable("\(frames.transferSyntax.name) frames cannot be drawn here: open the study in a diagnostic viewer")
        }
        let native: (bytes: [UInt8], description: PixelDescription)
        do {
            native = try frames.nativeFrame(number)
        } catch let error as ImagingError {
            if error.isBusy { throw Problem(.serviceUnavailable, error.description) }
            throw Problem.notAcceptable("\(error.description): open the study in a diagnostic viewer")
        }
        let image: [UInt8]
        do throws(ImagingError) {
            var picture = try Windowing.picture(native.bytes, description: native.description, window: window)
            if let (width, height) = viewport { picture = picture.fitted(width: width, height: height) }
            // PNG (lossless) unless only JPEG is accepted.
            image = png ? try PNGEncoder.encode(picture) : JPEGEncoder.encode(picture, quality: quality ?? 90)
        } catch {
            throw Problem.notAcceptable("\(error.description): open the study in a diagnostic viewer")
        }
        return (png ? "image/png" : "image/jpeg", image)
    }
}
