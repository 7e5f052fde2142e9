import Archive
import DICOM
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
@testable import Web

typealias Tag = DICOM.Tag

/// DICOMweb through Hummingbird's test client, on a real archive: searches, retrieves,
/// stores, and every error answered as problem+json with the right status.
@Suite struct DICOMwebTests {
    static let ct = "1.2.840.10008.5.1.4.1.1.2"

    /// A small CT image as a Part 10 file's bytes.
    static func part10(instance: String, series: String = "1.2.3.1.1", study: String = "1.2.3.1", name: String = "Doe^Jane",
                       pixels: UInt8 = 7) throws -> [UInt8] {
        var set = DataSet()
        func put(_ tag: Tag, _ vr: VR, _ value: String) { set[tag] = DataElement(tag: tag, vr: vr, strings: [value]) }
        put(.sopClassUID, .UI, ct)
        put(.sopInstanceUID, .UI, instance)
        put(.studyInstanceUID, .UI, study)
        put(.seriesInstanceUID, .UI, series)
        put(.patientName, .PN, name)
        put(.patientID, .LO, "P-\(name)")
        put(.modality, .CS, "CT")
        put(.studyDate, .DA, "20261122")
        set[Tag(0x0028, 0x0010)] = DataElement(tag: Tag(0x0028, 0x0010), vr: .US, integers: [UInt16(32)])
        set[Tag(0x0028, 0x0011)] = DataElement(tag: Tag(0x0028, 0x0011), vr: .US, integers: [UInt16(32)])
        for (tag, value) in [(Tag(0x0028, 0x0002), 1), (Tag(0x0028, 0x0100), 16), (Tag(0x0028, 0x0101), 16), (Tag(0x0028, 0x0103), 0)] {
            set[tag] = DataElement(tag: tag, vr: .US, integers: [UInt16(value)])
        }
        put(Tag(0x0028, 0x0004), .CS, "MONOCHROME2")
        set[.pixelData] = DataElement(tag: .pixelData, vr: .OW, bytes: [UInt8](repeating: pixels, count: 2048))
        return try DICOMFile(dataSet: set).serialized()
    }

    struct Fixture: Sendable {
        let archive: LocalArchive
        let root: String
    }

    /// An archive holding three instances of two studies, served by the DICOMweb router.
    static func withApp(_ body: @escaping @Sendable (any TestClientProtocol, Fixture) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dicomweb-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let archive = try LocalArchive(root: root)
        for (instance, series, study, name) in [("1.2.3.1.1.1", "1.2.3.1.1", "1.2.3.1", "Doe^Jane"), ("1.2.3.1.1.2", "1.2.3.1.1", "1.2.3.1", "Doe^Jane"),
                                                ("1.2.3.2.1.1", "1.2.3.2.1", "1.2.3.2", "Smith^John")] {
            let path = "\(root)/\(instance).dcm"
            try Data(try part10(instance: instance, series: series, study: study, name: name)).write(to: URL(fileURLWithPath: path))
            guard case .imported = await Importer(ingestor: archive.ingestor).importFile(at: path) else { Issue.record("not imported"); return }
        }
        let engine = QueryEngine(catalog: archive.catalog, blobs: archive.blobs, retrieveAETitle: "LIFEBOAT")
        let fixture = try AccessFixture(root: root)
        let server = WebServer(corsAllowOrigin: "https://viewer.example.org", dicomweb: DICOMweb(engine: engine, ingestor: archive.ingestor),
                               access: fixture.access)
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            try await body(SignedClient(inner: client, token: fixture.tokens[.service]!), Fixture(archive: archive, root: root))
        }
    }

    static func jsonArray(_ buffer: ByteBuffer) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [[String: Any]])
    }

    static func value(_ object: [String: Any], _ tag: String) -> Any? {
        ((object[tag] as? [String: Any])?["Value"] as? [Any])?.first
    }

    /// The parts of a multipart/related response.
    static func parts(_ response: TestResponse) throws -> [[UInt8]] {
        let contentType = try #require(response.headers[.contentType])
        let (_, boundary) = try #require(Multipart.parameters(of: contentType))
        var parser = MultipartParser(boundary: boundary)
        var parts: [[UInt8]] = []
        for event in try parser.feed(response.body) {
            switch event {
            case .partBegins: parts.append([])
            case .partBytes(let bytes): parts[parts.count - 1] += bytes.readableBytesView
            case .partEnds: break
            }
        }
        #expect(parser.isComplete)
        return parts
    }

    static func expectProblem(_ response: TestResponse, _ status: HTTPResponse.Status, mentioning text: String) throws {
        #expect(response.status == status)
        #expect(response.headers[.contentType] == "application/problem+json")
        let problem = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
        #expect(problem["status"] as? Int == Int(status.code))
        #expect((problem["detail"] as? String)?.contains(text) == true, "\(problem)")
    }

    @Test func searchesFindStudiesSeriesAndInstances() async throws {
        try await Self.withApp { client, _ in
            try await client.execute(uri: "/dicom-web/studies?PatientName=doe*&fuzzymatching=true", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/dicom+json")
                let studies = try Self.jsonArray(response.body)
                #expect(studies.count == 1)
                #expect(Self.value(studies[0], "0020000D") as? String == "1.2.3.1")
                #expect(Self.value(studies[0], "00201208") as? Int == 2)
                #expect((Self.value(studies[0], "00081190") as? String)?.hasSuffix("/dicom-web/studies/1.2.3.1") == true)
            }
            // OHIF sends fuzzymatching=false: the site's case-insensitive names (the default) still apply.
            try await client.execute(uri: "/dicom-web/studies?PatientName=doe*&fuzzymatching=false", method: .get) { response throws in
                #expect(try Self.jsonArray(response.body).count == 1)
            }
            // A site that matches case: only fuzzymatching=true lets doe find DOE.
            let exact = MatchOptions(caseInsensitivePersonNames: false)
            for (fuzzy, ignoresCase) in [("false", false), ("true", true)] {
                let query = try QIDO.query(level: .study, fixed: [:], parameters: [("PatientName", "doe*"), ("fuzzymatching", Substring(fuzzy))],
                                           options: exact)
                #expect(query.options.caseInsensitivePersonNames == ignoresCase, "fuzzymatching=\(fuzzy)")
            }
            // Several modalities, as OHIF's study list filter sends them: any one of them matches.
            for list in ["CT,MR", "MR%5CCT", "CT"] {
                try await client.execute(uri: "/dicom-web/studies?ModalitiesInStudy=\(list)", method: .get) { response throws in
                    #expect(response.status == .ok, "\(list)")
                    #expect(try Self.jsonArray(response.body).count == 2, "\(list)")
                }
            }
            try await client.execute(uri: "/dicom-web/studies?ModalitiesInStudy=MR,US", method: .get) { response throws in
                #expect(try Self.jsonArray(response.body).isEmpty)
            }
            try await client.execute(uri: "/dicom-web/studies?limit=1&offset=1", method: .get) { response throws in
                #expect(try Self.jsonArray(response.body).count == 1)
            }
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/series", method: .get) { response throws in
                let series = try Self.jsonArray(response.body)
                #expect(series.map { Self.value($0, "0020000E") as? String } == ["1.2.3.1.1"])
                #expect(Self.value(series[0], "00201209") as? Int == 2)
            }
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/series/1.2.3.1.1/instances?includefield=00280010", method: .get) { response throws in
                let instances = try Self.jsonArray(response.body)
                #expect(Set(instances.compactMap { Self.value($0, "00080018") as? String }) == ["1.2.3.1.1.1", "1.2.3.1.1.2"])
                #expect(instances.allSatisfy { Self.value($0, "00280010") as? Int == 32 })
            }
        }
    }

    @Test func retrieveSendsTheStoredFilesAsMultipart() async throws {
        try await Self.withApp { client, fixture in
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1", method: .get,
                                     headers: [.accept: "multipart/related; type=\"application/dicom\"; transfer-syntax=*"]) { response throws in
                #expect(response.status == .ok)
                let parts = try Self.parts(response)
                #expect(parts.count == 2)
                var sent = Set<[UInt8]>()
                for version in try await fixture.archive.catalog.versions(of: "1.2.3.1.1.1") + fixture.archive.catalog.versions(of: "1.2.3.1.1.2") {
                    sent.insert(Array(try Data(contentsOf: URL(fileURLWithPath: fixture.archive.blobs.localPath(of: version.blob)!))))
                }
                #expect(Set(parts) == sent)
            }
            try await client.execute(uri: "/wado?requestType=WADO&studyUID=1.2.3.2&seriesUID=1.2.3.2.1&objectUID=1.2.3.2.1.1", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/dicom")
                let file = try DICOMFile(bytes: Array(response.body.readableBytesView))
                #expect(file.dataSet.uid(.sopInstanceUID) == "1.2.3.2.1.1")
            }
        }
    }

    @Test func metadataPointsAtBulkData() async throws {
        try await Self.withApp { client, _ in
            var pixelURI = ""
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/series/1.2.3.1.1/instances/1.2.3.1.1.1/metadata", method: .get) { response throws in
                let metadata = try Self.jsonArray(response.body)
                #expect(metadata.count == 1)
                #expect(Self.value(metadata[0], "00100010").map { "\($0)" }?.contains("Doe") == true)
                pixelURI = try #require((metadata[0]["7FE00010"] as? [String: Any])?["BulkDataURI"] as? String)
            }
            // Behind a reverse proxy, the URLs are the ones the client can reach: RFC 7239's
            // Forwarded first, else X-Forwarded-*; a host that is not a host name is ignored.
            let forwarded: [(HTTPFields, String)] = [
                ([HTTPField.Name("Forwarded")!: "for=10.0.0.9;proto=https;host=pacs.example.org, for=10.0.0.1"], "https://pacs.example.org/dicom-web/"),
                ([HTTPField.Name("X-Forwarded-Proto")!: "https", HTTPField.Name("X-Forwarded-Host")!: "viewer.example.org:8443, proxy"],
                 "https://viewer.example.org:8443/dicom-web/"),
                ([HTTPField.Name("X-Forwarded-Proto")!: "gopher", HTTPField.Name("X-Forwarded-Host")!: "evil.example/<script>"], "http://"),
            ]
            for (headers, prefix) in forwarded {
                try await client.execute(uri: "/dicom-web/studies/1.2.3.1/series/1.2.3.1.1/instances/1.2.3.1.1.1/metadata", method: .get,
                                         headers: headers) { response throws in
                    let uri = (try Self.jsonArray(response.body).first?["7FE00010"] as? [String: Any])?["BulkDataURI"] as? String
                    #expect(uri?.hasPrefix(prefix) == true && uri?.contains("evil") == false, "\(uri ?? "none")")
                }
            }
            try await client.execute(uri: "/dicom-web/studies?PatientName=doe*", method: .get,
                                     headers: [HTTPField.Name("X-Forwarded-Proto")!: "https", HTTPField.Name("X-Forwarded-Host")!: "pacs.example.org"]) { response throws in
                let url = try Self.jsonArray(response.body).first.flatMap { Self.value($0, "00081190") as? String }
                #expect(url == "https://pacs.example.org/dicom-web/studies/1.2.3.1")
            }
            let path = try #require(pixelURI.range(of: "/dicom-web/")).lowerBound
            try await client.execute(uri: String(pixelURI[path...]), method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(try Self.parts(response) == [[UInt8](repeating: 7, count: 2048)])
            }
        }
    }

    @Test func storeTakesInstancesAndSaysWhichFailed() async throws {
        try await Self.withApp { client, fixture in
            let boundary = "b0undary"
            var body = ByteBuffer()
            for part in [try Self.part10(instance: "1.2.3.9.1.1", series: "1.2.3.9.1", study: "1.2.3.9"), Array("not DICOM at all".utf8)] {
                body.writeString("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n")
                body.writeBytes(part)
                body.writeString("\r\n")
            }
            body.writeString("--\(boundary)--\r\n")
            try await client.execute(uri: "/dicom-web/studies", method: .post,
                                     headers: [.contentType: "multipart/related; type=\"application/dicom\"; boundary=\(boundary)",
                                               .accept: "application/dicom+json"], body: body) { response throws in
                // PS3.18 10.5.3: some stored, some not.
                #expect(response.status == .accepted)
                let result = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let stored = try #require(((result["00081199"] as? [String: Any])?["Value"] as? [[String: Any]]))
                #expect(stored.map { Self.value($0, "00081155") as? String } == ["1.2.3.9.1.1"])
                let failed = try #require(((result["00081198"] as? [String: Any])?["Value"] as? [[String: Any]]))
                #expect(failed.map { Self.value($0, "00081197") as? Int } == [0xC000])
            }
            #expect(try await fixture.archive.catalog.versions(of: "1.2.3.9.1.1").map(\.source) == ["stow"])
            // The same study on the path: an instance of another study is refused.
            var other = ByteBuffer()
            other.writeString("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n")
            other.writeBytes(try Self.part10(instance: "1.2.3.8.1.1", series: "1.2.3.8.1", study: "1.2.3.8"))
            other.writeString("\r\n--\(boundary)--\r\n")
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1", method: .post,
                                     headers: [.contentType: "multipart/related; type=\"application/dicom\"; boundary=\(boundary)"], body: other) { response throws in
                #expect(response.status == .conflict)
            }
            #expect(try await fixture.archive.catalog.versions(of: "1.2.3.8.1.1").isEmpty)
        }
    }

    @Test func errorsAreProblemsWithTheRightStatus() async throws {
        try await Self.withApp { client, fixture in
            try await client.execute(uri: "/dicom-web/studies/1.2.3.999", method: .get) { try Self.expectProblem($0, .notFound, mentioning: "1.2.3.999") }
            try await client.execute(uri: "/dicom-web/studies/1.2.x.3/series", method: .get) { try Self.expectProblem($0, .badRequest, mentioning: "1.2.x.3") }
            try await client.execute(uri: "/dicom-web/studies?NoSuchKeyword=1", method: .get) {
                try Self.expectProblem($0, .badRequest, mentioning: "NoSuchKeyword")
            }
            try await client.execute(uri: "/dicom-web/studies?limit=-1", method: .get) { try Self.expectProblem($0, .badRequest, mentioning: "limit") }
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: [.accept: "application/xml"]) {
                try Self.expectProblem($0, .notAcceptable, mentioning: "application/dicom+json")
            }
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1", method: .get, headers: [.accept: "image/png"]) {
                try Self.expectProblem($0, .notAcceptable, mentioning: "multipart/related")
            }
            // Malformed multipart: no closing boundary, or none at all.
            try await client.execute(uri: "/dicom-web/studies", method: .post,
                                     headers: [.contentType: "multipart/related; type=\"application/dicom\"; boundary=xyz"],
                                     body: ByteBuffer(string: "--xyz\r\nContent-Type: application/dicom\r\n\r\nabc")) {
                try Self.expectProblem($0, .badRequest, mentioning: "closing boundary")
            }
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: [.contentType: "application/dicom"],
                                     body: ByteBuffer(string: "abc")) {
                try Self.expectProblem($0, .unsupportedMediaType, mentioning: "multipart/related")
            }
            // Nothing half-written: the staging area is empty after every refusal.
            #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.archive.blobs.stagingDirectory).isEmpty)
        }
    }

    @Test func corsLetsTheConfiguredViewerIn() async throws {
        try await Self.withApp { client, _ in
            try await client.execute(uri: "/dicom-web/studies", method: .options,
                                     headers: [.origin: "https://viewer.example.org", .accessControlRequestMethod: "GET"]) { response throws in
                #expect(response.headers[.accessControlAllowOrigin] == "https://viewer.example.org")
                #expect(response.headers[.accessControlAllowMethods]?.contains("GET") == true)
            }
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: [.origin: "https://viewer.example.org"]) { response throws in
                #expect(response.headers[.accessControlAllowOrigin] == "https://viewer.example.org")
            }
        }
    }

    @Test func framesAndRenderedImages() async throws {
        try await Self.withApp { client, fixture in
            let instance = "/dicom-web/studies/1.2.3.1/series/1.2.3.1.1/instances/1.2.3.1.1.1"
            try await client.execute(uri: "\(instance)/frames/1", method: .get,
                                     headers: [.accept: "multipart/related; type=\"application/octet-stream\""]) { response throws in
                #expect(response.status == .ok)
                #expect(try Self.parts(response) == [[UInt8](repeating: 7, count: 2048)])
            }
            try await client.execute(uri: "\(instance)/frames/2", method: .get) { try Self.expectProblem($0, .notFound, mentioning: "frame 2") }
            try await client.execute(uri: "\(instance)/frames/x", method: .get) { try Self.expectProblem($0, .badRequest, mentioning: "frame numbers") }
            try await client.execute(uri: "\(instance)/rendered?window=40,400", method: .get, headers: [.accept: "image/png"]) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/png")
                #expect(Array(response.body.readableBytesView.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
            }
            try await client.execute(uri: "\(instance)/rendered", method: .get, headers: [.accept: "image/jpeg"]) { response throws in
                #expect(response.headers[.contentType] == "image/jpeg")
                #expect(Array(response.body.readableBytesView.prefix(2)) == [0xFF, 0xD8])
            }
            try await client.execute(uri: "\(instance)/rendered", method: .get, headers: [.accept: "image/gif"]) {
                try Self.expectProblem($0, .notAcceptable, mentioning: "image/png or image/jpeg")
            }
            // A viewport shrinks the picture (32 x 32 here) to fit, proportions kept.
            try await client.execute(uri: "\(instance)/rendered?viewport=16,8", method: .get) { response throws in
                let header = Array(response.body.readableBytesView.dropFirst(16).prefix(8))
                #expect(header == [0, 0, 0, 8, 0, 0, 0, 8], "IHDR width and height")
            }
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/series/1.2.3.1.1/thumbnail", method: .get) { response throws in
                #expect(response.headers[.contentType] == "image/png")
                #expect(Array(response.body.readableBytesView.dropFirst(16).prefix(8)) == [0, 0, 0, 32, 0, 0, 0, 32], "never enlarged")
            }
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/thumbnail?viewport=0,1", method: .get) {
                try Self.expectProblem($0, .badRequest, mentioning: "viewport")
            }
            try await client.execute(uri: "\(instance)/rendered?window=40", method: .get) { try Self.expectProblem($0, .badRequest, mentioning: "window") }
            try await client.execute(uri: "/wado?requestType=WADO&studyUID=1.2.3.1&seriesUID=1.2.3.1.1&objectUID=1.2.3.1.1.1&contentType=image/png",
                                     method: .get) { response throws in
                #expect(response.headers[.contentType] == "image/png")
            }
            // A JPEG 2000 instance: frames as stored, and drawn (decoded through OpenJPEG).
            let j2k = "\(try PydicomData.directory())/test_files/JPEG2000.dcm"
            guard case .imported = await Importer(ingestor: fixture.archive.ingestor).importFile(at: j2k) else { Issue.record("not imported"); return }
            let header = try DICOMFile(path: j2k, options: .headerOnly).dataSet
            let path = "/dicom-web/studies/\(header.uid(.studyInstanceUID)!)/series/\(header.uid(.seriesInstanceUID)!)/instances/\(header.uid(.sopInstanceUID)!)"
            try await client.execute(uri: "\(path)/rendered", method: .get, headers: [.accept: "image/png"]) { response throws in
                #expect(response.status == .ok && response.headers[.contentType] == "image/png")
                #expect(Array(response.body.readableBytesView.dropFirst(16).prefix(8)) == [0, 0, 1, 0, 0, 0, 4, 0], "256 wide, 1024 high")
            }
            try await client.execute(uri: "\(path)/frames/1", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.contains("type=\"image/jp2\"") == true)
            }
        }
    }

    @Test func aBlobThatNoLongerMatchesItsHashIsNotPassedOffAsIntact() async throws {
        try await Self.withApp { client, fixture in
            let version = try #require(try await fixture.archive.catalog.versions(of: "1.2.3.2.1.1").first)
            let path = try #require(fixture.archive.blobs.localPath(of: version.blob))
            // One flipped byte in the pixel data, as bit rot would do it.
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count - 10] ^= 0xFF
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            var delivered: [UInt8]?
            do {
                try await client.execute(uri: "/wado?requestType=WADO&studyUID=1.2.3.2&seriesUID=1.2.3.2.1&objectUID=1.2.3.2.1.1", method: .get) { response throws in
                    delivered = Array(response.body.readableBytesView)
                }
            } catch {
                delivered = nil // the response was cut off: what a client sees as a failed download
            }
            #expect(delivered != bytes, "the damaged file must not arrive whole, as if intact")
        }
    }
}
