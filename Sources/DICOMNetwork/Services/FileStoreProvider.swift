#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DICOM
import Foundation
import NIOCore

/// Writes each received instance as a Part 10 file, `<directory>/<SOP Instance UID>.dcm`:
/// a meta group made from the request, then the data set bytes exactly as they arrived.
/// The bytes go to `<directory>/tmp/` first; when complete they are fsync'ed, linked into
/// place and the directory fsync'ed, and only then is Success answered (zero-loss
/// invariant 1). An instance whose UID is already there is kept beside it as
/// `<UID>.<UUID>.dcm`: nothing is ever overwritten (invariant 2).
public struct FileStoreProvider: StoreProvider {
    public let directory: String
    /// Off only for benchmarks against peers that do not fsync either.
    public let durable: Bool

    public init(directory: String, durable: Bool = true) throws {
        self.directory = directory
        self.durable = durable
        try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
    }

    public func beginStore(_ request: StoreRequest) async throws -> any StoreSink {
        guard request.sopInstanceUID.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }), !request.sopInstanceUID.isEmpty else {
            throw StoreError(.cannotUnderstand, "SOP Instance UID \"\(request.sopInstanceUID)\" is not a UID")
        }
        var meta = DICOMFile(dataSet: DataSet(), transferSyntax: TransferSyntax(uid: request.transferSyntaxUID) ?? .explicitVRLittleEndian)
        meta.fileMeta[.mediaStorageSOPClassUID] = DataElement(tag: .mediaStorageSOPClassUID, vr: .UI, strings: [request.sopClassUID])
        meta.fileMeta[.mediaStorageSOPInstanceUID] = DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, strings: [request.sopInstanceUID])
        meta.fileMeta[.transferSyntaxUID] = DataElement(tag: .transferSyntaxUID, vr: .UI, strings: [request.transferSyntaxUID])
        meta.fileMeta[Tag(0x0002, 0x0016)] = DataElement(tag: Tag(0x0002, 0x0016), vr: .AE, strings: [request.callingAETitle.value])
        let header = try meta.fileMetaBytes()
        let temporary = "\(directory)/tmp/\(UUID().uuidString).part"
        let sink = try FileStoreSink(temporary: temporary, directory: directory, name: request.sopInstanceUID, durable: durable)
        try await sink.write(ByteBuffer(bytes: header))
        return sink
    }
}

/// One instance being written to a temporary file.
final class FileStoreSink: StoreSink, @unchecked Sendable {
    // @unchecked: the association writes, finishes or cancels one data set from one task,
    // one call after another; `fd` is never touched concurrently.
    private let fd: Int32
    private let temporary: String
    private let directory: String
    private let name: String
    private let durable: Bool

    init(temporary: String, directory: String, name: String, durable: Bool) throws {
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(.outOfResources, "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        self.temporary = temporary
        self.directory = directory
        self.name = name
        self.durable = durable
    }

    func write(_ fragment: ByteBuffer) async throws {
        try fragment.withUnsafeReadableBytes { raw in
            var done = 0
            while done < raw.count {
                let wrote = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if wrote < 0 {
                    if errno == EINTR { continue }
                    let status: DIMSEStatus = errno == ENOSPC ? .outOfResources : .processingFailure
                    throw StoreError(status, "cannot write \(temporary): \(String(cString: strerror(errno)))")
                }
                done += wrote
            }
        }
    }

    func finish() async -> StoreOutcome {
        func failed(_ what: String) -> StoreOutcome {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            return StoreOutcome(status: .outOfResources, errorComment: "\(what): \(reason)")
        }
        if durable && fsync(fd) != 0 {
            close(fd)
            return failed("cannot fsync \(temporary)")
        }
        guard close(fd) == 0 else { return failed("cannot close \(temporary)") }
        // link(2) refuses an existing name, so an earlier instance is never replaced.
        var final = "\(directory)/\(name).dcm"
        if link(temporary, final) != 0 {
            guard errno == EEXIST else { return failed("cannot move the instance into place") }
            final = "\(directory)/\(name).\(UUID().uuidString).dcm"
            guard link(temporary, final) == 0 else { return failed("cannot move the instance into place") }
        }
        unlink(temporary)
        if durable {
            let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            let synced = directoryFD >= 0 && fsync(directoryFD) == 0
            if directoryFD >= 0 { close(directoryFD) }
            guard synced else {
                return StoreOutcome(status: .outOfResources, errorComment: "cannot fsync \(directory): \(String(cString: strerror(errno)))")
            }
        }
        return .success
    }

    func cancel() async {
        close(fd)
        unlink(temporary)
    }
}
