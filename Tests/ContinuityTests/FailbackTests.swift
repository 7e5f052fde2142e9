import Archive
import Continuity
import DICOM
import DICOMNetwork
import Foundation
import TestSupport
import Testing

/// Failback against a pynetdicom PACS stand-in: what it lacks is found by C-FIND, sent in
/// priority order, confirmed by Storage Commitment (or by query), and reported.
@Suite(.serialized) struct FailbackTests {
    let site: TestArchive
    let commitments: any CommitmentStore
    let scratch: String

    init() throws {
        site = try TestArchive()
        commitments = try SQLiteCommitmentStore(pool: site.archive.catalog.pool)
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("failback-\(UUID().uuidString)").path
    }

    func pacs(commitment: Bool = true, refusing: [String] = [], port: Int? = nil, reportTo: String? = nil) async throws -> PACSStandIn {
        try await PACSStandIn(port: port, directory: scratch + "/pacs", commitment: commitment, refusing: refusing, reportTo: reportTo)
    }

    func failback(to pacs: PACSStandIn, downtime: [DateInterval] = [], concurrency: Int = 1, commitTimeout: Duration = .seconds(20)) -> Failback {
        Failback(catalog: site.archive.catalog, commitments: commitments, blobs: site.archive.blobs,
                 options: .init(node: DICOMNode("\(pacs.aeTitle)@127.0.0.1:\(pacs.port)")!, callingAETitle: "LIFEBOAT", downtime: downtime,
                                concurrency: concurrency, retryDelay: .milliseconds(100), commitTimeout: commitTimeout))
    }

    /// This site's DICOM port as `lifeboat serve` has it for commitment reports: the PACS may
    /// open an association to it to report (PS3.4 J.3.3.1.3); the reports go to the catalog.
    func withReportListener(_ body: (Int) async throws -> Void) async throws {
        let server = DICOMServer(configuration: .init(host: "127.0.0.1", port: 0, policy: AcceptorPolicy(aeTitle: "LIFEBOAT")),
                                 services: AssociationServices(store: NoStores(),
                                                               commitmentReports: CommitmentReportRecorder(store: commitments)))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        try await body(try #require(await iterator.next()))
    }

    /// Studies 1...count of `instances` each, stored one after another: later studies are newer.
    func storeStudies(_ count: Int, instances: Int, from first: Int = 1) async throws -> [String] {
        var studies: [String] = []
        for number in first..<(first + count) {
            let study = "1.2.826.0.1.3680043.10.1\(number)"
            try await site.store(instances, study: study)
            studies.append(study)
        }
        return studies
    }

    @Test func sendsDowntimeStudiesNewestFirstThenTheRestAndHasThemCommitted() async throws {
        let earlier = try await storeStudies(2, instances: 3)
        let outageStart = Date()
        let during = try await storeStudies(3, instances: 3, from: 3)
        let pacs = try await pacs()
        defer { pacs.stop() }

        let report = try await failback(to: pacs, downtime: [DateInterval(start: outageStart, end: Date())]).run()

        // Newest downtime study first, then the others, newest first; one study at a time.
        let expected = during.reversed() + earlier.reversed()
        #expect(pacs.studyOrder() == Array(expected))
        #expect(report.studies.map(\.studyInstanceUID) == Array(expected))
        #expect(report.studies.map(\.duringDowntime) == [true, true, true, false, false])
        #expect(report.instancesMissing == 15 && report.instancesSent == 15 && report.instancesConfirmed == 15)
        #expect(report.studies.allSatisfy { $0.confirmedBy == .storageCommitment })
        #expect(report.isComplete)
        // Every instance arrived with the data set held here, byte for byte.
        let versions = try await site.archive.catalog.failbackStudies().count
        #expect(versions == 5)
        for study in expected {
            for instance in try await site.archive.catalog.failbackInstances(study: study) {
                let path = try #require(site.archive.blobs.localPath(of: instance.blob))
                #expect(try pacs.dataSetBytes(instance.sopInstanceUID) == (try PACSStandIn.dataSetBytes(of: path)))
            }
        }

        // Run again: the PACS holds everything, nothing goes.
        let again = try await failback(to: pacs).run()
        #expect(again.studiesCompared == 5 && again.studiesAlreadyHeld == 5 && again.instancesSent == 0)
        #expect(pacs.received().count == 15)
    }

    /// A PACS that takes images only uncompressed (as many are set up) gets every compressed
    /// one decoded, each copy's pixels those of the reference decode (pydicom), and the report
    /// says which went decoded; the stored copies stay as they were.
    @Test func aPACSThatTakesOnlyUncompressedGetsEveryCompressedImageDecoded() async throws {
        let names = ["JPEG2000.dcm", "MR_small_jp2klossless.dcm", "SC_rgb_jpeg_gdcm.dcm", "JPGExtended.dcm", "MR_small_RLE.dcm",
                     "MR_small_jpeg_ls_lossless.dcm", "SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb_rle_2frame.dcm", "SC_rgb_jls_lossy_line.dcm"]
        let source = try PydicomData.directory() + "/test_files"
        try FileManager.default.createDirectory(atPath: scratch + "/originals", withIntermediateDirectories: true)
        var originals: [String: String] = [:]
        for (index, name) in names.enumerated() {
            // Each its own study and instance (several of pydicom's files share UIDs).
            var file = try DICOMFile(path: "\(source)/\(name)")
            let instance = "1.2.826.0.1.3680043.10.88.\(index + 1).1.1"
            for (tag, value) in [(Tag.studyInstanceUID, "1.2.826.0.1.3680043.10.88.\(index + 1)"), (.seriesInstanceUID, "1.2.826.0.1.3680043.10.88.\(index + 1).1"),
                                 (.sopInstanceUID, instance)] {
                file.dataSet[tag] = DataElement(tag: tag, vr: .UI, strings: [value])
            }
            file.fileMeta[.mediaStorageSOPInstanceUID] = DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, strings: [instance])
            let path = "\(scratch)/originals/\(instance).dcm"
            try file.write(toPath: path)
            guard case .imported = await Importer(ingestor: site.archive.ingestor).importFile(at: path) else {
                Issue.record("\(name) was not imported")
                continue
            }
            originals[instance] = path
        }
        let pacs = try await PACSStandIn(directory: scratch + "/pacs", uncompressedOnly: true)
        defer { pacs.stop() }

        let report = try await failback(to: pacs).run()
        #expect(report.isComplete, "\(report.summary)")
        #expect(report.instancesConfirmed == names.count && report.instancesTranscoded == names.count, "\(report.summary)")
        #expect(report.summary.contains("\(names.count) sent decoded"), "\(report.summary)")
        let pairs = originals.map { "\($0.value) \(scratch)/pacs/\($0.key).dcm" }.sorted().joined(separator: "\n") + "\n"
        try pairs.write(toFile: scratch + "/pairs", atomically: true, encoding: .utf8)
        let compare = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../WebTests/Helpers/compare_transcoded.py").standardized.path
        let run = try await Subprocess.run("python3", [compare, scratch + "/pairs"])
        let lossy = ["JPGExtended.dcm", "SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb_jls_lossy_line.dcm", "JPEG2000.dcm"].map { name in
            originals.first { $0.value.hasSuffix(".\(names.firstIndex(of: name)! + 1).1.1.dcm") }?.value ?? ""
        }
        var compared = 0
        for line in run.text.split(separator: "\n") {
            let result = try #require((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])
            let original = result["original"] as? String ?? ""
            #expect(result["error"] == nil && ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"].contains(result["syntax"] as? String ?? ""), "\(result)")
            #expect((result["difference"] as? Int).map { $0 <= (lossy.contains(original) ? 1 : 0) } == true, "\(result)")
            compared += 1
        }
        #expect(compared == names.count, "\(run.errors.suffix(1000))")
    }

    @Test func sendsOnlyTheInstancesASeriesLacks() async throws {
        let study = "1.2.826.0.1.3680043.10.77"
        for index in 0..<4 {
            for series in ["\(study).1", "\(study).2"] {
                let refusal = try await site.store(index, study: study, series: series, through: site.archive.ingestor)
                try #require(refusal == nil)
            }
        }
        var pacs = try await pacs()
        _ = try await failback(to: pacs).run()
        pacs.stop()
        // The restored PACS lacks two instances of the first series and one of the second.
        let lost = ["\(study).1.9.0", "\(study).1.9.3", "\(study).2.9.2"]
        for instance in lost { try FileManager.default.removeItem(atPath: "\(scratch)/pacs/\(instance).dcm") }
        try FileManager.default.removeItem(atPath: "\(scratch)/pacs/received.log")
        pacs = try await self.pacs(port: pacs.port)
        defer { pacs.stop() }

        let report = try await failback(to: pacs).run()
        #expect(Set(pacs.received().map(\.instance)) == Set(lost))
        #expect(report.instancesMissing == 3 && report.instancesConfirmed == 3)
        #expect(pacs.held().count == 8)
    }

    @Test func refusalsAndDamagedLocalCopiesAreReportedNotHidden() async throws {
        let studies = try await storeStudies(2, instances: 3)
        let refusedInstance = "\(studies[0]).9.1"
        // A local blob that no longer matches its SHA-256 is never sent.
        let damaged = try #require(try await site.archive.catalog.failbackInstances(study: studies[1]).first)
        let path = try #require(site.archive.blobs.localPath(of: damaged.blob))
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 400)
        try handle.write(contentsOf: Data([0xFF, 0xEE]))
        try handle.close()
        let pacs = try await pacs(refusing: [refusedInstance])
        defer { pacs.stop() }

        let report = try await failback(to: pacs).run()
        #expect(!report.isComplete)
        #expect(report.instancesSent == 4 && report.instancesConfirmed == 4 && report.instancesRefused == 2)
        let refusals = report.studies.flatMap(\.refused)
        #expect(refusals.contains { $0.sopInstanceUID == refusedInstance && $0.status == "0xA900" })
        #expect(refusals.contains { $0.sopInstanceUID == damaged.sopInstanceUID && $0.reason.contains("SHA-256") && $0.status == nil })
        #expect(!pacs.held().contains(damaged.sopInstanceUID) && !pacs.held().contains(refusedInstance))
        #expect(report.summary.contains("refused \(refusedInstance)"))
    }

    /// A store that keeps no local files (as an object store would): each instance goes from
    /// a copy staged through the verified reader, byte for byte; a damaged blob is refused with
    /// its reason; no staged copy is left behind.
    @Test func aStoreWithNoLocalFilesFailsBackThroughVerifiedCopies() async throws {
        let studies = try await storeStudies(2, instances: 3)
        var instances: [FailbackInstance] = []
        for study in studies { instances += try await site.archive.catalog.failbackInstances(study: study) }
        let memory = try await site.pathlessCopy(of: instances.map(\.blob))
        let damaged = instances[4]
        var bytes = try await memory.read(damaged.blob, range: nil)
        bytes[bytes.count / 2] ^= 0x10
        memory.corrupt(damaged.blob, with: bytes)
        let staging = scratch + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let pacs = try await pacs()
        defer { pacs.stop() }
        var options = Failback.Options(node: DICOMNode("\(pacs.aeTitle)@127.0.0.1:\(pacs.port)")!, callingAETitle: "LIFEBOAT", concurrency: 1,
                                       retryDelay: .milliseconds(100), commitTimeout: .seconds(20))
        options.staging = staging

        let report = try await Failback(catalog: site.archive.catalog, commitments: commitments, blobs: memory, options: options).run()
        #expect(report.instancesSent == 5 && report.instancesConfirmed == 5 && report.instancesRefused == 1)
        let refusal = try #require(report.studies.flatMap(\.refused).first)
        #expect(refusal.sopInstanceUID == damaged.sopInstanceUID && refusal.reason.contains("cannot be read whole"), "\(refusal.reason)")
        for instance in instances where instance != damaged {
            let path = try #require(site.archive.blobs.localPath(of: instance.blob))
            #expect(try pacs.dataSetBytes(instance.sopInstanceUID) == (try PACSStandIn.dataSetBytes(of: path)))
        }
        #expect(!pacs.held().contains(damaged.sopInstanceUID))
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging).isEmpty, "every staged copy removed")
    }

    @Test func aPACSWithoutStorageCommitmentIsCheckedByQuery() async throws {
        _ = try await storeStudies(2, instances: 2)
        let pacs = try await pacs(commitment: false)
        defer { pacs.stop() }
        let report = try await failback(to: pacs).run()
        #expect(report.studies.map(\.confirmedBy) == [.query, .query])
        #expect(report.instancesConfirmed == 4 && report.isComplete)
        // The confirming queries went over the association that stored the instances.
        let services = pacs.services()
        let storing = Set(services.filter { $0.service == "store" }.map(\.association))
        #expect(storing.count == 1)
        #expect(services.contains { $0.service == "find" && storing.contains($0.association) })
    }

    @Test func oneAssociationCarriesEveryBatchAndItsCommitment() async throws {
        // Two studies of 130: two batches (at most 250 instances each), one sender.
        _ = try await storeStudies(2, instances: 130)
        let pacs = try await pacs()
        defer { pacs.stop() }
        let report = try await failback(to: pacs).run()
        #expect(report.instancesSent == 260 && report.instancesConfirmed == 260 && report.isComplete)
        // A PACS may take a tenth of a second to open an association: the sender keeps one for
        // every batch and has each committed on it; the comparison had the only other.
        let services = pacs.services()
        let storing = Set(services.filter { $0.service == "store" }.map(\.association))
        #expect(storing.count == 1)
        let commits = services.filter { $0.service == "commit" }.map(\.association)
        #expect(commits.count == 2 && Set(commits) == storing)
        #expect(services.filter { $0.service == "associate" }.count == 2)
    }

    /// Most PACSs report on an association of their own once the request's is released: the
    /// sender waits a little on its association, releases it, and finds the report in the
    /// catalog, where this site's DICOM port put it; the next batches release at once.
    @Test func aPACSThatReportsOnAnAssociationOfItsOwnHasEveryBatchConfirmed() async throws {
        _ = try await storeStudies(2, instances: 130)
        try await withReportListener { port in
            let pacs = try await pacs(reportTo: "LIFEBOAT@127.0.0.1:\(port)")
            defer { pacs.stop() }
            let report = try await failback(to: pacs).run()
            #expect(report.instancesSent == 260 && report.instancesConfirmed == 260 && report.isComplete, "\(report.studies.flatMap(\.unconfirmed))")
            #expect(report.studies.allSatisfy { $0.confirmedBy == .storageCommitment })
            // The stand-in notes a report once its response is back, which may be just after this site recorded it.
            try? await Polling.waitUntil(seconds: 10) { pacs.services().filter { $0.service == "report" }.count >= 2 }
            let services = pacs.services()
            let commits = services.filter { $0.service == "commit" }.map(\.association)
            let reports = services.filter { $0.service == "report" }.map(\.association)
            #expect(commits.count == 2 && reports.count == 2, "\(services)")
            // Each report came on an association that carried nothing else.
            #expect(Set(reports).isDisjoint(with: services.filter { $0.service != "report" }.map(\.association)))
            #expect(!services.contains { $0.service == "report-failed" })
        }
    }

    /// With nothing listening for its reports, a PACS that reports only on an association of
    /// its own confirms nothing: each instance says so, none is counted confirmed.
    @Test func aReportThatCannotComeLeavesTheBatchUnconfirmedAndSaysWhy() async throws {
        _ = try await storeStudies(1, instances: 3)
        let pacs = try await pacs(reportTo: "LIFEBOAT@127.0.0.1:\(LoopbackPort.free())")
        defer { pacs.stop() }
        let report = try await failback(to: pacs, commitTimeout: .seconds(3)).run()
        #expect(report.instancesSent == 3 && report.instancesConfirmed == 0 && !report.isComplete)
        let reasons = Set(report.studies.flatMap(\.unconfirmed).map(\.reason))
        #expect(reasons == ["no storage commitment report from PACS within 3.0 seconds"], "\(reasons)")
        try await Polling.waitUntil(seconds: 10) { pacs.services().contains { $0.service == "report-failed" } }
    }

    @Test func anUnreachablePACSIsAClearErrorAndAnInterruptedRunResumes() async throws {
        _ = try await storeStudies(4, instances: 3)
        let port = LoopbackPort.free()
        await #expect(throws: FailbackError.self) {
            _ = try await Failback(catalog: site.archive.catalog, commitments: try SQLiteCommitmentStore(pool: site.archive.catalog.pool),
                                   blobs: site.archive.blobs,
                                   options: .init(node: DICOMNode("PACS@127.0.0.1:\(port)")!, callingAETitle: "LIFEBOAT")).run()
        }
        // The PACS dies part way through the fifth instance: the run ends with what it could not send.
        var pacs = try await PACSStandIn(port: port, directory: scratch + "/pacs", exitAfter: 5)
        let interrupted = try? await failback(to: pacs).run()
        #expect(interrupted.map { !$0.isComplete } ?? true)
        let first = pacs.held()
        #expect(first.count == 5)
        pacs.stop()

        // Back up: run again, and only what it still lacks goes.
        pacs = try await self.pacs(port: port)
        defer { pacs.stop() }
        let resumed = try await failback(to: pacs).run()
        #expect(resumed.studiesAlreadyHeld >= 1)
        #expect(resumed.instancesSent == 12 - first.count)
        #expect(pacs.held().count == 12 && resumed.isComplete)
    }
}

/// The report listener's store service: it takes only commitment reports, as `serve` does during a failback.
struct NoStores: StoreProvider {
    func beginStore(_ request: StoreRequest) async throws -> any StoreSink {
        throw ServiceError(.outOfResources, "only commitment reports are taken here")
    }
}
