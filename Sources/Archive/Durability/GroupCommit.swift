/// Makes many concurrent requests share one expensive flush (an fsync, a transaction
/// commit). One flush runs at a time; requests that arrive while it runs wait and are all
/// served by the next one. Nobody waits for more than the flush in progress plus their own.
public actor GroupCommit<Item: Sendable, Output: Sendable> {
    public typealias Flush = @Sendable ([Item]) async -> [Result<Output, any Error>]

    private let flush: Flush
    private var pending: [(item: Item, reply: CheckedContinuation<Output, any Error>)] = []
    private var flushing = false

    /// `flush` gets every item of a round and returns one result per item, in order.
    public init(flush: @escaping Flush) { self.flush = flush }

    public func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { reply in
            pending.append((item, reply))
            if !flushing {
                flushing = true
                Task { await drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let round = pending
            pending = []
            let results = await flush(round.map(\.item))
            precondition(results.count == round.count, "a flush returns one result per item")
            for (request, result) in zip(round, results) { request.reply.resume(with: result) }
        }
        flushing = false
    }
}
