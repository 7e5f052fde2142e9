#if canImport(Glibc)
import Glibc
#endif
import Archive
import DICOM
import DICOMNetwork
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import TestSupport
import Testing

/// `lifeboat serve` stops like a service: on SIGTERM it takes no new association, answers the
/// store under way once it is durable, aborts the association (A-ABORT) rather than drop it,
/// records the stop in the audit log, and exits 0.
@Suite struct StopTests {
    @Test func sigtermAnswersTheStoreUnderWayAbortsAndExitsZero() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("stop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let port = LoopbackPort.free()
        let serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--data", data, "--dicom-port", "\(port)", "--http-port", "0"])
        defer { serve.stop() }
        try await LoopbackPort.waitUntilListening(port)

        var dataSet = try DICOMFile(path: try PydicomData.directory() + "/test_files/CT_small.dcm").dataSet
        let instance = "1.2.826.0.1.3680043.10.67.1"
        dataSet[.sopInstanceUID] = DataElement(tag: .sopInstanceUID, vr: .UI, strings: [instance])
        let body = try dataSet.encoded(in: .explicitVRLittleEndian)
        let sopClass = try #require(dataSet.uid(.sopClassUID))
        let context = ProposedPresentationContext(id: 1, abstractSyntax: sopClass, transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid])
        let echo = ProposedPresentationContext(id: 3, abstractSyntax: SOPClass.verification, transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid])
        let answered = NIOLockedValueBox<DIMSEStatus?>(nil)
        // The data set goes in 20 pieces, 50 ms apart; SIGTERM comes once the store is well under way.
        let chunks = stride(from: 0, to: body.count, by: body.count / 20 + 1).map { ByteBuffer(bytes: body[$0..<min($0 + body.count / 20 + 1, body.count)]) }
        let sending = Task {
            try await RequestorAssociation.withAssociation(.init(host: "127.0.0.1", port: port, calledAETitle: "LIFEBOAT"), proposing: [context, echo]) { association in
                var index = 0
                let (status, _) = try await association.store(sopClassUID: sopClass, sopInstanceUID: instance, contextID: 1) {
                    defer { index += 1 }
                    if index == 4 { // the command and three pieces are sent: SIGTERM once the server is receiving them
                        Self.waitForStaging(in: data + "/tmp")
                        serve.signal(SIGTERM)
                    }
                    if index > 0 { usleep(50_000) }
                    return index < chunks.count ? chunks[index] : nil
                }
                answered.withLockedValue { $0 = status }
                // Then wait: the server aborts the association once the store is answered.
                _ = try await association.echo()
            }
        }
        let ending = await sending.result
        #expect(answered.withLockedValue { $0 } == .success, "the store under way was answered")
        // Aborted once answered (the audit record below counts it): nothing more goes over it.
        guard case .failure = ending else {
            Issue.record("the association went on after the stop: \(ending)")
            return
        }
        #expect(await serve.exitStatus(within: 20) == 0, "\(serve.log)")
        // New associations are refused: nothing listens any more.
        #expect(throws: (any Error).self) { _ = try RawConnection(port: port) }
        let catalog = try Catalog(path: LocalArchive.catalogPath(in: data))
        #expect(try await !catalog.versions(of: instance).isEmpty)
        let records = try SecurityServeTests.records(data)
        #expect(records.contains { $0.subject == "SOPInstanceUID=\(instance)" && $0.succeeded })
        let last = try #require(records.last)
        #expect(last.action == .administration && last.detail.hasPrefix("stopped: new associations refused, 1 association aborted once answered or idle"),
                "\(last.detail)")
    }

    /// Connections that arrive as the stop begins are accepted by a listener about to close:
    /// each must still be closed, not dropped (a dropped one traps the process, swift-nio #2637,
    /// as a SIGTERM just after the tests' own port checks once did). The race is narrow (1 stop
    /// in 8 trapped before the fix), so five stops at once.
    @Test(arguments: 1...5) func connectionsArrivingAsItStopsLeaveAnOrderlyExit(round: Int) async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("stop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let dicomPort = LoopbackPort.free(), httpPort = LoopbackPort.free()
        let serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--data", data, "--dicom-port", "\(dicomPort)",
                                                                         "--http-port", "\(httpPort)"])
        defer { serve.stop() }
        try await LoopbackPort.waitUntilListening(dicomPort, of: serve)
        try await LoopbackPort.waitUntilListening(httpPort, of: serve)
        // Threads connect and hang up, three to each port, until nothing listens any more
        // (30 s at most); SIGTERM once all are knocking.
        let ports = [dicomPort, httpPort, dicomPort, httpPort, dicomPort, httpPort]
        let knocks = NIOLockedValueBox(ports.map { _ in 0 })
        for (index, port) in ports.enumerated() {
            Thread.detachNewThread {
                let deadline = Date().addingTimeInterval(30)
                while LoopbackPort.isListening(port) && Date() < deadline { knocks.withLockedValue { $0[index] += 1 } }
            }
        }
        try await Polling.waitUntil(seconds: 10) { knocks.withLockedValue { $0.allSatisfy { $0 >= 20 } } }
        serve.signal(SIGTERM)
        #expect(await serve.exitStatus(within: 30) == 0, "\(serve.log)")
        #expect(!serve.log.contains("Fatal error"), "\(serve.log)")
    }

    /// Waits (at most 10 s) until an instance is being received into `tmp`: a signal sent
    /// before the server has read the command would find the association idle.
    static func waitForStaging(in tmp: String) {
        for _ in 0..<1000 {
            let sizes = ((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []).compactMap {
                (try? FileManager.default.attributesOfItem(atPath: tmp + "/" + $0))?[.size] as? Int
            }
            if sizes.contains(where: { $0 > 0 }) { return }
            usleep(10_000)
        }
    }
}
