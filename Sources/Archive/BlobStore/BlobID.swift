import Crypto

/// A blob's name: the SHA-256 of its bytes, as 64 lowercase hex digits. The same bytes
/// always get the same name, so `sha256sum` on a stored file checks it.
public struct BlobID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let hex: String

    /// nil unless `hex` is exactly 64 lowercase hex digits.
    public init?(hex: String) {
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
        self.hex = hex
    }

    public init(_ digest: SHA256.Digest) {
        self.init(digest: Array(digest))!
    }

    /// The name whose digest is these 32 bytes (S3's base64 checksum, decoded); nil for any other length.
    public init?(digest bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        let digits = Array("0123456789abcdef".utf8)
        hex = String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
    }

    /// The SHA-256 of `bytes`.
    public init(of bytes: some Sequence<UInt8>) {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        self.init(hasher.finalize())
    }

    /// The 32 bytes of the digest.
    public var bytes: [UInt8] {
        let digits = Array(hex.utf8).map { $0 <= 0x39 ? $0 - 0x30 : $0 - 0x61 + 10 }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    public var description: String { hex }

    public static func < (lhs: BlobID, rhs: BlobID) -> Bool { lhs.hex < rhs.hex }
}

/// Why a blob store call failed. `notFound` is an answer ("no such blob"); the others
/// are failures of the store itself.
public enum BlobStoreError: Error, Equatable, CustomStringConvertible {
    /// There is no blob by that name.
    case notFound(BlobID)
    /// The storage is full (ENOSPC, EDQUOT): retrying may succeed once space is freed.
    case outOfSpace(String)
    /// The blob's stored bytes do not hash to its name (found by a verified read).
    case damaged(BlobID)
    /// Anything else: permissions, I/O errors.
    case failed(String)

    public var description: String {
        switch self {
        case .notFound(let id): "no blob \(id)"
        case .outOfSpace(let message): "out of space: \(message)"
        case .damaged(let id): "blob \(id) is damaged: its bytes no longer hash to its name"
        case .failed(let message): message
        }
    }
}
