@testable import Archive
import Synchronization
import Testing

/// Many requests, few flushes: what lets concurrent associations share an fsync.
@Suite struct GroupCommitTests {
    @Test func concurrentRequestsShareFlushesAndEachGetsItsOwnResult() async throws {
        let rounds = Mutex<[[Int]]>([])
        let commit = GroupCommit<Int, Int> { items in
            rounds.withLock { $0.append(items) }
            try? await Task.sleep(for: .milliseconds(20)) // an fsync's worth of waiting
            return items.map { $0 % 7 == 0 ? .failure(GroupCommitTestError(item: $0)) : .success($0 * 2) }
        }
        let results = await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            for item in 1...50 {
                group.addTask {
                    do { return (item, .success(try await commit.submit(item))) } catch { return (item, .failure(error)) }
                }
            }
            return await group.reduce(into: [Int: Result<Int, any Error>]()) { $0[$1.0] = $1.1 }
        }
        for item in 1...50 {
            switch results[item] {
            case .success(let doubled): #expect(item % 7 != 0 && doubled == item * 2)
            case .failure(let error): #expect(item % 7 == 0 && (error as? GroupCommitTestError)?.item == item)
            case nil: Issue.record("no result for \(item)")
            }
        }
        let flushed = rounds.withLock { $0 }
        #expect(flushed.flatMap { $0 }.sorted() == Array(1...50), "every item flushed exactly once")
        #expect(flushed.count < 50, "\(flushed.count) flushes for 50 items")
    }
}

struct GroupCommitTestError: Error { let item: Int }
