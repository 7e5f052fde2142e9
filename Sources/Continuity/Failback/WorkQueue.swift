/// Studies compared and found lacking, waiting for a sender: the comparer pushes them in
/// priority order, each sender takes the next few at once, so that one association carries
/// many small studies (a PACS may take a tenth of a second to open one).
actor WorkQueue {
    private var waiting: [Failback.Work] = []
    private var finished = false
    private var takers: [CheckedContinuation<Void, Never>] = []

    func push(_ work: Failback.Work) {
        waiting.append(work)
        wake()
    }

    /// Nothing more will come.
    func finish() {
        finished = true
        wake()
    }

    /// The next studies in order, up to `maximumInstances` missing instances between them (at
    /// least one study); empty once everything was taken and nothing more will come.
    func take(maximumInstances: Int) async -> [Failback.Work] {
        while waiting.isEmpty && !finished {
            await withCheckedContinuation { takers.append($0) }
        }
        var batch: [Failback.Work] = []
        var instances = 0
        while let next = waiting.first, batch.isEmpty || instances + next.missing.count <= maximumInstances {
            batch.append(waiting.removeFirst())
            instances += next.missing.count
        }
        return batch
    }

    private func wake() {
        let woken = takers
        takers = []
        for taker in woken { taker.resume() }
    }
}
