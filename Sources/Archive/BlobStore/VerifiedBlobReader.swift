import Crypto

/// A blob read a piece at a time and hashed as it is read (restic's `Load` is the model):
/// the piece that would complete the reading is held back until the whole blob hashes to its
/// name, and a mismatch ends the reading with `.damaged` instead. So a consumer that passes
/// pieces on as they come (an HTTP body, a C-STORE) never completes a copy of damaged bytes.
public struct VerifiedBlobReader: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = BlobStoreError

    let id: BlobID
    let range: Range<Int>?
    let chunk: Int
    let size: @Sendable () async throws(BlobStoreError) -> Int
    let read: @Sendable (Range<Int>) async throws(BlobStoreError) -> [UInt8]

    /// `size` gives the blob's length (`.notFound` when there is none); `read` the bytes of a
    /// range within it.
    public init(id: BlobID, range: Range<Int>?, chunk: Int, size: @escaping @Sendable () async throws(BlobStoreError) -> Int,
                read: @escaping @Sendable (Range<Int>) async throws(BlobStoreError) -> [UInt8]) {
        self.id = id
        self.range = range
        self.chunk = Swift.max(1, chunk)
        self.size = size
        self.read = read
    }

    public func makeAsyncIterator() -> Iterator { Iterator(reader: self) }

    public struct Iterator: AsyncIteratorProtocol {
        let reader: VerifiedBlobReader
        var size: Int?
        var wanted = 0..<0
        /// Where in the blob the hash has got to.
        var offset = 0
        var hasher = SHA256()
        var held: [UInt8]?
        var done = false

        init(reader: VerifiedBlobReader) { self.reader = reader }

        public mutating func next() async throws(BlobStoreError) -> [UInt8]? {
            while !done {
                if size == nil {
                    let total = try await reader.size()
                    size = total
                    wanted = (reader.range ?? 0..<total).clamped(to: 0..<total)
                }
                let total = size ?? 0
                if offset >= total {
                    done = true
                    guard BlobID(hasher.finalize()) == reader.id else { throw .damaged(reader.id) }
                    return held
                }
                let bytes = try await reader.read(offset..<Swift.min(offset + reader.chunk, total))
                // Shorter than it said it was: those are not the blob's bytes.
                guard !bytes.isEmpty else {
                    done = true
                    throw .damaged(reader.id)
                }
                hasher.update(data: bytes)
                let here = offset..<(offset + bytes.count)
                offset = here.upperBound
                let overlap = here.clamped(to: wanted)
                guard !overlap.isEmpty else { continue }
                // A whole chunk wanted (a whole blob's read) goes on as it was read, not copied.
                let piece = overlap == here ? bytes : Array(bytes[(overlap.lowerBound - here.lowerBound)..<(overlap.upperBound - here.lowerBound)])
                let previous = held
                held = piece
                if let previous { return previous }
            }
            return nil
        }
    }
}
