import Synchronization

/// How much memory the frames being decoded at once may hold together: each decode takes
/// three times its frame's bytes (the output and the library's working buffers) from the
/// budget before anything is allocated and gives them back when done. A decode that would pass it is refused at once (`CodecError.isBusy`), not queued:
/// the callers run on Swift's cooperative threads, which must not block; a viewer asks again
/// (503 with Retry-After), a sender retries the instance later. One frame larger than the
/// whole budget still goes when nothing else is being decoded.
public final class DecodeBudget: Sendable {
    public let bytes: Int
    private let used = Mutex(0)

    /// The process's budget: 2 GiB, two of the largest frames decoded (`FrameDecoder.maximumFrameBytes`).
    public static let shared = DecodeBudget(bytes: 2 << 30)

    public init(bytes: Int) { self.bytes = bytes }

    /// Bytes taken now.
    public var inUse: Int { used.withLock { $0 } }

    /// Runs `body` holding `amount` bytes of the budget.
    public func holding<T>(_ amount: Int, _ body: () throws(CodecError) -> T) throws(CodecError) -> T {
        let taken = used.withLock { used -> Bool in
            guard used == 0 || used + amount <= bytes else { return false }
            used += amount
            return true
        }
        guard taken else {
            throw CodecError("the decoders are busy: \(amount) more bytes of frames would pass the \(bytes >> 20) MiB they may hold at once; try again shortly",
                             isBusy: true)
        }
        defer { used.withLock { $0 -= amount } }
        return try body()
    }
}
