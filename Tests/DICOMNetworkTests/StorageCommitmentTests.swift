import DICOM
@testable import DICOMNetwork
import Foundation
import NIOConcurrencyHelpers
import TestSupport
import Testing

/// Storage Commitment (PS3.4 J.3): the N-ACTION and N-EVENT-REPORT data sets, and both
/// sides of the exchange over a real loopback association.
@Suite struct StorageCommitmentTests {
    static let ct = "1.2.840.10008.5.1.4.1.1.2"

    @Test func requestAndResultSurviveEncoding() throws {
        let request = StorageCommitment.Request(transactionUID: "2.25.1", references: [
            .init(sopClassUID: Self.ct, sopInstanceUID: "1.2.3.1"), .init(sopClassUID: Self.ct, sopInstanceUID: "1.2.3.2"),
        ])
        let decoded = try StorageCommitment.Request(dataSet: DataSet(decoding: try request.dataSet.encoded(in: .implicitVRLittleEndian)))
        #expect(decoded == request)

        let result = StorageCommitment.Result(transactionUID: "2.25.1", committed: [request.references[0]],
                                              failed: [.init(reference: request.references[1], reason: StorageCommitment.FailureReason.noSuchObjectInstance)])
        #expect(result.eventType == .someFailed)
        let back = try StorageCommitment.Result(dataSet: DataSet(decoding: try result.dataSet.encoded(in: .explicitVRLittleEndian), in: .explicitVRLittleEndian))
        #expect(back == result)
        #expect(StorageCommitment.Result(transactionUID: "2.25.1", committed: request.references, failed: []).eventType == .allCommitted)
    }

    @Test func aRequestWithoutItsTransactionOrReferencesIsRefusedByName() throws {
        var noTransaction = StorageCommitment.Request(transactionUID: "2.25.1", references: [.init(sopClassUID: Self.ct, sopInstanceUID: "1.2")]).dataSet
        noTransaction[.transactionUID] = nil
        #expect(throws: DIMSEError(.malformedCommitment, "the commitment request has no Transaction UID")) { try StorageCommitment.Request(dataSet: noTransaction) }
        var noItems = DataSet()
        noItems[.transactionUID] = DataElement(tag: .transactionUID, vr: .UI, strings: ["2.25.1"])
        #expect(throws: DIMSEError(.malformedCommitment, "the commitment request has no Referenced SOP Sequence")) { try StorageCommitment.Request(dataSet: noItems) }
    }

    @Test func generatedUIDsAreValidAndDistinct() {
        let uids = (0..<1000).map { _ in UIDGenerator.make() }
        #expect(Set(uids).count == 1000)
        for uid in uids {
            // PS3.5 9.1: digits and dots, at most 64 characters, no leading zero in a component.
            #expect(uid.hasPrefix("2.25.") && uid.count <= 64)
            #expect(uid.dropFirst(5).allSatisfy(\.isNumber) && !uid.dropFirst(5).hasPrefix("0"))
        }
    }

    /// Commits the instances whose UID ends in an odd digit; waits `delay` first. Reports it
    /// could not give on the request's association are kept in `undelivered`.
    /// Held shut until the test opens it: what waits on it waits for the test, not for a time.
    final class Gate: Sendable {
        let stream: AsyncStream<Void>
        let continuation: AsyncStream<Void>.Continuation
        init() { (stream, continuation) = AsyncStream.makeStream() }
        func open() { continuation.finish() }
        func wait() async { for await _ in stream {} }
    }

    struct OddCommitter: CommitmentProvider {
        var delay: Duration = .zero
        /// When set, no result is given before the test opens it.
        var gate: Gate?
        let undeliveredReports = NIOLockedValueBox<[(StorageCommitment.Result, AETitle)]>([])

        func undelivered(_ result: StorageCommitment.Result, to callingAETitle: AETitle, address: String) async {
            undeliveredReports.withLockedValue { $0.append((result, callingAETitle)) }
        }

        func commit(_ request: StorageCommitment.Request, from callingAETitle: AETitle, address: String) async -> StorageCommitment.Result {
            try? await Task.sleep(for: delay)
            await gate?.wait()
            let odd = request.references.filter { Int(String($0.sopInstanceUID.last!))! % 2 == 1 }
            return StorageCommitment.Result(transactionUID: request.transactionUID, committed: odd, failed: request.references.filter { !odd.contains($0) }.map {
                .init(reference: $0, reason: StorageCommitment.FailureReason.noSuchObjectInstance)
            })
        }
    }

    struct RefusingStore: StoreProvider {
        func beginStore(_ request: StoreRequest) async throws -> any StoreSink { throw ServiceError(.outOfResources, "not here") }
    }

    func withServer(_ provider: OddCommitter, _ body: (Int) async throws -> Void) async throws {
        try await withServer(AssociationServices(store: RefusingStore(), commitment: provider), body)
    }

    /// An ARCHIVE giving `services` on a free loopback port for the body's duration.
    func withServer(_ services: AssociationServices, _ body: (Int) async throws -> Void) async throws {
        let server = DICOMServer(configuration: .init(host: "127.0.0.1", port: 0, policy: AcceptorPolicy(aeTitle: "ARCHIVE")), services: services)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        try await body(try #require(await iterator.next()))
    }

    static let context = ProposedPresentationContext(id: 1, abstractSyntax: StorageCommitment.sopClassUID,
                                                     transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid])

    @Test func theReportComesBackOnTheSameAssociation() async throws {
        try await withServer(OddCommitter()) { port in
            let request = StorageCommitment.Request(transactionUID: UIDGenerator.make(), references: (1...4).map {
                .init(sopClassUID: Self.ct, sopInstanceUID: "1.2.826.0.1.3680043.10.5.\($0)")
            })
            let result = try await RequestorAssociation.withAssociation(.init(host: "127.0.0.1", port: port, calledAETitle: "ARCHIVE"),
                                                                       proposing: [Self.context]) { try await $0.commit(request) }
            #expect(result.transactionUID == request.transactionUID)
            #expect(result.committed.map(\.sopInstanceUID) == ["1.2.826.0.1.3680043.10.5.1", "1.2.826.0.1.3680043.10.5.3"])
            #expect(result.failed.map(\.reference.sopInstanceUID) == ["1.2.826.0.1.3680043.10.5.2", "1.2.826.0.1.3680043.10.5.4"])
            #expect(result.failed.allSatisfy { $0.reason == 0x0112 })
        }
    }

    @Test func aReportThatDoesNotComeIsGivenUpAtTheDeadline() async throws {
        try await withServer(OddCommitter(delay: .seconds(30))) { port in
            let request = StorageCommitment.Request(transactionUID: UIDGenerator.make(), references: [.init(sopClassUID: Self.ct, sopInstanceUID: "1.2.1")])
            let configuration = RequestorAssociation.Configuration(host: "127.0.0.1", port: port, calledAETitle: "ARCHIVE")
            await #expect(throws: DeadlineExceeded.self) {
                try await withDeadline(.milliseconds(500), "the report") {
                    try await RequestorAssociation.withAssociation(configuration, proposing: [Self.context]) { try await $0.commit(request) }
                }
            }
        }
    }

    @Test func aReportThatDoesNotComeOnAKeptAssociationBreaksItAtTheLimit() async throws {
        try await withServer(OddCommitter(delay: .seconds(30))) { port in
            let request = StorageCommitment.Request(transactionUID: UIDGenerator.make(), references: [.init(sopClassUID: Self.ct, sopInstanceUID: "1.2.1")])
            var broken = false
            // The connection is closed at the limit, so the release that ends the association fails too.
            try? await RequestorAssociation.withAssociation(.init(host: "127.0.0.1", port: port, calledAETitle: "ARCHIVE"), proposing: [Self.context]) { association in
                await #expect(throws: DeadlineExceeded("the report", after: .milliseconds(500))) {
                    try await association.within(.milliseconds(500), "the report") { try await association.commit(request) }
                }
                broken = association.isBroken
            }
            #expect(broken)
        }
    }

    @Test func anArchiveWithoutCommitmentRefusesTheContext() async throws {
        let server = DICOMServer(configuration: .init(host: "127.0.0.1", port: 0, policy: AcceptorPolicy(aeTitle: "ARCHIVE")),
                                 services: AssociationServices(store: RefusingStore()))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let request = StorageCommitment.Request(transactionUID: "2.25.7", references: [.init(sopClassUID: Self.ct, sopInstanceUID: "1.2.1")])
        await #expect(throws: AssociationError.noAcceptedContext("Storage Commitment Push Model")) {
            try await RequestorAssociation.withAssociation(.init(host: "127.0.0.1", port: port, calledAETitle: "ARCHIVE"),
                                                          proposing: [Self.context]) { try await $0.commit(request) }
        }
    }

    /// An N-ACTION the SCP cannot take is refused with the status that says why (PS3.7 C.5).
    @Test func aWrongActionIsRefusedWithItsStatus() async throws {
        try await withServer(OddCommitter()) { port in
            let statuses = try await RequestorAssociation.withAssociation(.init(host: "127.0.0.1", port: port, calledAETitle: "ARCHIVE"),
                                                                         proposing: [Self.context]) { association in
                var answers: [UInt16?] = []
                let good = StorageCommitment.Request(transactionUID: "2.25.9", references: [.init(sopClassUID: Self.ct, sopInstanceUID: "1.2.1")]).dataSet
                var empty = DataSet()
                empty[.transactionUID] = DataElement(tag: .transactionUID, vr: .UI, strings: ["2.25.9"])
                for (instance, action, dataSet) in [("1.2.3", UInt16(1), good), (StorageCommitment.sopInstanceUID, 2, good),
                                                    (StorageCommitment.sopInstanceUID, 1, empty)] {
                    var command = CommandSet(.nActionRequest, messageID: association.takeMessageID())
                    command.set(.requestedSOPClassUID, uid: StorageCommitment.sopClassUID)
                    command.set(.requestedSOPInstanceUID, uid: instance)
                    command.set(.actionTypeID, action)
                    try await association.send(command, dataSet: dataSet, contextID: 1)
                    let response = try await association.receiveMessage().command
                    #expect(response.field == .nActionResponse && response.messageIDBeingRespondedTo == command.messageID)
                    answers.append(response.status)
                }
                return answers
            }
            // No such SOP instance, no such action, invalid argument value.
            #expect(statuses == [0x0112, 0x0123, 0x0115])
        }
    }

    /// The SCU side of a report an SCP sends on an association it opens: kept, then answered.
    final class Collector: CommitmentReportReceiver {
        let reports = NIOLockedValueBox<[(StorageCommitment.Result, AETitle)]>([])
        func received(_ result: StorageCommitment.Result, from callingAETitle: AETitle, address: String) async -> ServiceOutcome {
            guard result.transactionUID != "2.25.404" else { return ServiceOutcome(status: StorageCommitment.ReportStatus.processingFailure, errorComment: "unknown") }
            reports.withLockedValue { $0.append((result, callingAETitle)) }
            return .success
        }
    }

    func withReportServer(_ collector: Collector, _ body: (Int) async throws -> Void) async throws {
        try await withServer(AssociationServices(store: RefusingStore(), commitmentReports: collector), body)
    }

    @Test func aReportOnAnAssociationTheSCPOpensIsTakenAndAnswered() async throws {
        let collector = Collector()
        try await withReportServer(collector) { port in
            var configuration = RequestorAssociation.Configuration(host: "127.0.0.1", port: port, callingAETitle: "PACS", calledAETitle: "ARCHIVE")
            configuration.roleSelections = [RoleSelection(sopClassUID: StorageCommitment.sopClassUID, scuRole: false, scpRole: true)]
            let result = StorageCommitment.Result(transactionUID: "2.25.77", committed: [.init(sopClassUID: Self.ct, sopInstanceUID: "1.2.1")], failed: [])
            let statuses = try await RequestorAssociation.withAssociation(configuration, proposing: [Self.context]) { association in
                #expect(association.acceptance?.userInformation.roleSelections == configuration.roleSelections, "the SCP role granted")
                var statuses = [try await association.report(result).rawValue,
                                try await association.report(.init(transactionUID: "2.25.404", committed: result.committed, failed: [])).rawValue]
                // The wrong SOP instance and an event type the standard does not define are refused by name.
                for (instance, event) in [("1.2.3", UInt16(1)), (StorageCommitment.sopInstanceUID, 7)] {
                    var command = CommandSet(.nEventReportRequest, messageID: association.takeMessageID())
                    command.set(.affectedSOPClassUID, uid: StorageCommitment.sopClassUID)
                    command.set(.affectedSOPInstanceUID, uid: instance)
                    command.set(.eventTypeID, event)
                    try await association.send(command, dataSet: result.dataSet, contextID: 1)
                    statuses.append(try #require(try await association.receiveMessage().command.status))
                }
                return statuses
            }
            #expect(statuses == [0x0000, 0x0110, 0x0112, 0x0113])
            #expect(collector.reports.withLockedValue { $0.map(\.0) } == [result])
            #expect(collector.reports.withLockedValue { $0.map(\.1) } == ["PACS"])
        }
    }

    /// A report awaited with a deadline that passes leaves the association as it was: the
    /// report, when it comes, is still taken on it. (The report is held back until the first
    /// wait is over, not for a time: on a busy machine a second can pass before that wait begins.)
    @Test func aReportAwaitedPastItsDeadlineIsStillTakenLater() async throws {
        let gate = Gate()
        try await withServer(OddCommitter(gate: gate)) { port in
            let request = StorageCommitment.Request(transactionUID: UIDGenerator.make(), references: [.init(sopClassUID: Self.ct, sopInstanceUID: "1.2.1")])
            let result = try await RequestorAssociation.withAssociation(.init(host: "127.0.0.1", port: port, calledAETitle: "ARCHIVE"),
                                                                       proposing: [Self.context]) { association in
                try await association.requestCommitment(request)
                let early = try await association.awaitCommitmentReport(request.transactionUID, before: .now + .milliseconds(100))
                #expect(early == nil && !association.isBroken)
                gate.open()
                return try await association.awaitCommitmentReport(request.transactionUID, before: .now + .seconds(20))
            }
            #expect(result?.committed.map(\.sopInstanceUID) == ["1.2.1"])
        }
    }

    /// An SCU that releases as soon as its request is answered gets its report some other way.
    @Test func aReportTheSCUDoesNotStayForGoesToTheProvider() async throws {
        let committer = OddCommitter(delay: .milliseconds(300))
        try await withServer(committer) { port in
            let request = StorageCommitment.Request(transactionUID: UIDGenerator.make(), references: [.init(sopClassUID: Self.ct, sopInstanceUID: "1.2.3")])
            try await RequestorAssociation.withAssociation(.init(host: "127.0.0.1", port: port, callingAETitle: "MODALITY", calledAETitle: "ARCHIVE"),
                                                          proposing: [Self.context]) { try await $0.requestCommitment(request) }
            try await Polling.waitUntil(seconds: 10) { !committer.undeliveredReports.withLockedValue(\.isEmpty) }
            let undelivered = committer.undeliveredReports.withLockedValue { $0 }
            #expect(undelivered.map(\.0.transactionUID) == [request.transactionUID] && undelivered.map(\.1) == ["MODALITY"])
        }
    }

    @Test func deliveryTriesAgainUntilTheSCUListensAndGivesUpWhenItNeverDoes() async throws {
        let collector = Collector()
        let events = NIOLockedValueBox<[CommitmentReportDelivery.Event]>([])
        let result = StorageCommitment.Result(transactionUID: "2.25.78", committed: [.init(sopClassUID: Self.ct, sopInstanceUID: "1.2.1")], failed: [])
        try await withReportServer(collector) { port in
            let delivery = CommitmentReportDelivery(options: .init(callingAETitle: "ARCHIVE", attempts: 3, firstDelay: .milliseconds(50)),
                                                    locate: { title, _ in title == "MODALITY" ? DICOMNode(aeTitle: "ARCHIVE", host: "127.0.0.1", port: port) : nil },
                                                    events: { event in events.withLockedValue { $0.append(event) } })
            await delivery.deliver(result, to: "MODALITY", address: "127.0.0.1")
            await delivery.deliver(result, to: "STRANGER", address: "127.0.0.1")
            await delivery.settle()
        }
        #expect(collector.reports.withLockedValue { $0.map(\.0) } == [result])
        #expect(events.withLockedValue { $0 }.contains(.noAddress(transactionUID: "2.25.78", aeTitle: "STRANGER")))
        // Nothing listens: three attempts, then it says so.
        let closed = LoopbackPort.free()
        let delivery = CommitmentReportDelivery(options: .init(callingAETitle: "ARCHIVE", attempts: 3, firstDelay: .milliseconds(50)),
                                                locate: { _, _ in DICOMNode(aeTitle: "MODALITY", host: "127.0.0.1", port: closed) },
                                                events: { event in events.withLockedValue { $0.append(event) } })
        await delivery.deliver(result, to: "MODALITY", address: "127.0.0.1")
        await delivery.settle()
        let last = events.withLockedValue { $0 }
        #expect(last.filter { if case .retrying = $0 { true } else { false } }.count == 2)
        guard case .gaveUp(_, let node, let attempts, _)? = last.last else { Issue.record("no gaveUp: \(last)"); return }
        #expect(node == "MODALITY@127.0.0.1:\(closed)" && attempts == 3)
    }
}
