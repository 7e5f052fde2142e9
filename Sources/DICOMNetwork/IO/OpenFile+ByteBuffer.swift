import DICOM
import NIOCore

extension OpenFile {
    /// Up to `count` bytes at `offset` read straight into a buffer that can go to a channel
    /// as it is; empty at the end of the file.
    public func readBuffer(at offset: Int, upTo count: Int) throws(DICOMError) -> ByteBuffer {
        let wanted = max(0, min(count, size - offset))
        var buffer = ByteBufferAllocator().buffer(capacity: wanted)
        guard wanted > 0 else { return buffer }
        do {
            _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { free in
                try read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: free.prefix(wanted)))
            }
        } catch let error as DICOMError {
            throw error
        } catch {
            throw DICOMError(.io, offset: offset, "cannot read \(path): \(error)")
        }
        return buffer
    }
}
