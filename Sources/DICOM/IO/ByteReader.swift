#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward-only byte stream over memory, a file or an inflating decoder, with a
/// small buffer: the reader never holds more than one value plus one chunk, whatever
/// the size of the file. Offsets are absolute positions in the (decoded) stream.
struct ByteReader {
    private var buffer: [UInt8]
    private var position = 0
    /// Stream offset of `buffer[0]`.
    private var base: Int
    private var backend: Backend
    /// Total length when known (memory and files); nil for inflated streams.
    let length: Int?

    static let chunkSize = 16 * 1024

    enum Backend {
        case memory
        case file(OpenFile)
        case inflate(Inflater)
    }

    init(bytes: [UInt8]) {
        buffer = bytes
        base = 0
        backend = .memory
        length = bytes.count
    }

    /// Reads `descriptor` from its current position; `length` is the bytes left in it.
    init(file descriptor: OpenFile, startingAt offset: Int, length: Int) {
        buffer = []
        base = offset
        backend = .file(descriptor)
        self.length = offset + length
    }

    init(inflating source: ByteReader, hasZlibHeader: Bool, limit: Int) throws(DICOMError) {
        buffer = []
        base = 0
        length = nil
        backend = .inflate(try Inflater(source: source, hasZlibHeader: hasZlibHeader, limit: limit))
    }

    var offset: Int { base + position }
    private var available: Int { buffer.count - position }

    /// Bytes left, when the stream's length is known.
    var remaining: Int? { length.map { $0 - offset } }

    /// Whether values can be left in place and referred to by offset.
    var canReferToFile: Bool {
        if case .file = backend { return true }
        return false
    }

    /// Whether the stream has ended; a decoding error on the way is thrown, not taken as the end.
    mutating func atEnd() throws(DICOMError) -> Bool {
        if available > 0 { return false }
        if let remaining { return remaining <= 0 }
        return try !fill(atLeast: 1)
    }

    /// Makes at least `count` bytes available; false if the stream ends first.
    @discardableResult
    private mutating func fill(atLeast count: Int) throws(DICOMError) -> Bool {
        if available >= count { return true }
        if case .memory = backend { return false }
        if position > 0 {
            buffer.removeFirst(position)
            base += position
            position = 0
        }
        while buffer.count < count {
            let want = max(count - buffer.count, ByteReader.chunkSize)
            let got = try pull(upTo: want)
            if got.isEmpty { return false }
            buffer.append(contentsOf: got)
        }
        return true
    }

    /// Reads directly from the backend at the current end of the buffer.
    private mutating func pull(upTo count: Int) throws(DICOMError) -> [UInt8] {
        let at = base + buffer.count
        switch backend {
        case .memory:
            return []
        case .file(let descriptor):
            return try descriptor.read(at: at, upTo: count)
        case .inflate(let inflater):
            return try inflater.read(upTo: count, at: at)
        }
    }

    /// The byte `index` places ahead, without consuming it; nil at the end of the stream.
    mutating func peekByte(_ index: Int) throws(DICOMError) -> UInt8? {
        if available <= index, try !fill(atLeast: index + 1) { return nil }
        return buffer[position + index]
    }

    mutating func peek(_ count: Int) throws(DICOMError) -> ArraySlice<UInt8>? {
        guard try fill(atLeast: count) else { return nil }
        return buffer[position..<(position + count)]
    }

    mutating func uint16(bigEndian: Bool) throws(DICOMError) -> UInt16 {
        try require(2)
        let a = UInt16(buffer[position]), b = UInt16(buffer[position + 1])
        position += 2
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    mutating func uint32(bigEndian: Bool) throws(DICOMError) -> UInt32 {
        try require(4)
        let a = UInt32(buffer[position]), b = UInt32(buffer[position + 1])
        let c = UInt32(buffer[position + 2]), d = UInt32(buffer[position + 3])
        position += 4
        return bigEndian ? a << 24 | b << 16 | c << 8 | d : d << 24 | c << 16 | b << 8 | a
    }

    private mutating func require(_ count: Int) throws(DICOMError) {
        if available >= count { return }
        guard try fill(atLeast: count) else {
            throw DICOMError(.truncated, offset: offset, "the stream ends \(available) bytes into a \(count)-byte field")
        }
    }

    /// Reads `count` bytes; for a stream of unknown length, grows the result as bytes
    /// arrive, so a bogus length fails at the end of the data, not with a huge allocation.
    mutating func bytes(_ count: Int) throws(DICOMError) -> [UInt8] {
        if count <= available {
            let start = position
            position += count
            return buffer.withUnsafeBufferPointer { Array(UnsafeBufferPointer(rebasing: $0[start..<(start + count)])) }
        }
        if let remaining, count > remaining {
            throw DICOMError(.lengthPastEnd, offset: offset, "\(count) bytes wanted, \(remaining) left in the stream")
        }
        var result = Array(buffer[position...])
        let start = offset
        base += buffer.count
        buffer = []
        position = 0
        if length != nil { result.reserveCapacity(count) }
        while result.count < count {
            let got = try pull(upTo: min(count - result.count, 4 * ByteReader.chunkSize))
            if got.isEmpty {
                throw DICOMError(.truncated, offset: start, "the stream ends after \(result.count) of \(count) bytes")
            }
            result.append(contentsOf: got)
            base += got.count
        }
        return result
    }

    /// Everything left in the stream, for lenient reads of a truncated value.
    mutating func rest() throws(DICOMError) -> [UInt8] {
        var result = Array(buffer[position...])
        base += buffer.count
        buffer = []
        position = 0
        while true {
            let got = try pull(upTo: 4 * ByteReader.chunkSize)
            if got.isEmpty { return result }
            result.append(contentsOf: got)
            base += got.count
        }
    }

    mutating func skip(_ count: Int) throws(DICOMError) {
        if count <= available {
            position += count
            return
        }
        if let remaining, count > remaining {
            throw DICOMError(.lengthPastEnd, offset: offset, "\(count) bytes to skip, \(remaining) left in the stream")
        }
        switch backend {
        case .file:
            base = offset + count
            buffer = []
            position = 0
        default:
            var left = count - available
            base += buffer.count
            buffer = []
            position = 0
            while left > 0 {
                let got = try pull(upTo: min(left, 4 * ByteReader.chunkSize))
                if got.isEmpty { throw DICOMError(.truncated, offset: offset, "the stream ends \(left) bytes short") }
                left -= got.count
                base += got.count
            }
        }
    }
}
