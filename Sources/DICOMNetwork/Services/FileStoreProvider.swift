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
/// The bytes go to `<directory>/tmp/` first and are renamed into place when complete, so a
/// half-received instance never appears. Not fsync'ed: durability is the archive's job.
public struct FileStoreProvider: StoreProvider {
    public let directory: String

    public init(directory: String) throws {
        self.directory = directory
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
        let sink = try FileStoreSink(temporary: temporary, final: "\(directory)/\(request.sopInstanceUID).dcm")
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
    private let final: String

    init(temporary: String, final: String) throws {
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(.outOfResources, "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        self.temporary = temporary
        self.final = final
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
        guard close(fd) == 0 else {
            unlink(temporary)
            return StoreOutcome(status: .outOfResources, errorComment: "cannot close \(temporary): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, final) == 0 else {
            unlink(temporary)
            return StoreOutcome(status: .outOfResources, errorComment: "cannot move the instance into place: \(String(cString: strerror(errno)))")
        }
        return .success
    }

    func cancel() async {
        close(fd)
        unlink(temporary)
    }
}
