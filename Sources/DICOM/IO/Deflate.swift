import CZlib

/// Inflates a deflated data set (PS3.5 A.5: raw deflate, RFC 1951) chunk by chunk.
final class Inflater {
    private var stream = z_stream()
    private var source: ByteReader
    private var input: [UInt8] = []
    private var finished = false
    private let limit: Int

    /// `hasZlibHeader` accepts the zlib-wrapped streams (RFC 1950) some writers produce;
    /// more than `limit` inflated bytes is an error.
    init(source: ByteReader, hasZlibHeader: Bool, limit: Int) throws(DICOMError) {
        self.source = source
        self.limit = limit
        let status = inflateInit2_(&stream, hasZlibHeader ? MAX_WBITS : -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if status != Z_OK { throw DICOMError(.deflate, "cannot start zlib (status \(status))") }
    }

    deinit { inflateEnd(&stream) }

    /// Up to `count` inflated bytes; empty at the end of the stream. `at` is the decoded
    /// offset, for error messages.
    func read(upTo count: Int, at decodedOffset: Int) throws(DICOMError) -> [UInt8] {
        if finished || count == 0 { return [] }
        var output = [UInt8](repeating: 0, count: count)
        var produced = 0
        while produced < count && !finished {
            if stream.avail_in == 0 {
                input = try source.atEnd() ? [] : try source.bytes(min(ByteReader.chunkSize, source.remaining ?? ByteReader.chunkSize))
                if input.isEmpty {
                    throw DICOMError(.truncated, offset: decodedOffset + produced, "the deflated data set ends before its end marker")
                }
            }
            let status: Int32 = input.withUnsafeMutableBufferPointer { inBuffer in
                output.withUnsafeMutableBufferPointer { outBuffer in
                    if stream.avail_in == 0 {
                        stream.next_in = inBuffer.baseAddress
                        stream.avail_in = UInt32(inBuffer.count)
                    } else {
                        // Resume where the last call stopped in the same input chunk.
                        stream.next_in = inBuffer.baseAddress! + (inBuffer.count - Int(stream.avail_in))
                    }
                    stream.next_out = outBuffer.baseAddress! + produced
                    stream.avail_out = UInt32(count - produced)
                    let before = stream.avail_out
                    let status = inflate(&stream, Z_NO_FLUSH)
                    produced += Int(before - stream.avail_out)
                    return status
                }
            }
            switch status {
            case Z_STREAM_END: finished = true
            case Z_BUF_ERROR where stream.avail_in > 0:
                throw DICOMError(.deflate, offset: decodedOffset + produced, "zlib made no progress on the deflated data set")
            case Z_OK, Z_BUF_ERROR: break
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw DICOMError(.deflate, offset: decodedOffset + produced, "the deflated data set is corrupt: \(reason)")
            }
        }
        output.removeLast(count - produced)
        if decodedOffset + produced > limit {
            throw DICOMError(.inflatedTooLarge, offset: limit, "the deflated data set inflates to more than \(limit) bytes")
        }
        return output
    }
}

/// Deflates a data set as it is written (PS3.5 A.5).
final class Deflater {
    private var stream = z_stream()

    init() throws(DICOMError) {
        let status = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if status != Z_OK { throw DICOMError(.deflate, "cannot start zlib (status \(status))") }
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `bytes`; `finish` flushes the end of the stream.
    func deflate(_ bytes: [UInt8], finish: Bool) throws(DICOMError) -> [UInt8] {
        var input = bytes
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    status = CZlib.deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    result.append(contentsOf: outBuffer[0..<(outBuffer.count - Int(stream.avail_out))])
                }
            } while stream.avail_out == 0 || (finish && status == Z_OK)
            stream.next_in = nil
        }
        if status == Z_STREAM_ERROR { throw DICOMError(.deflate, "zlib failed while compressing") }
        return result
    }
}
