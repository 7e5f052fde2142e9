import Archive
import DICOM
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Web

/// A data set that is not whole is never acknowledged by STOW-RS, never served over an
/// intact version, and never breaks what is asked of the other instances of its study.
@Suite struct DamagedInstanceTests {
    /// A part10 file (DICOMwebTests.part10) cut `bytes` short: its pixel data runs past the end.
    static func cut(_ file: [UInt8], by bytes: Int = 100) -> [UInt8] { Array(file.dropLast(bytes)) }

    static func multipart(_ parts: [[UInt8]], boundary: String = "b0undary") -> ByteBuffer {
        var body = ByteBuffer()
        for part in parts {
            body.writeString("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n")
            body.writeBytes(part)
            body.writeString("\r\n")
        }
        body.writeString("--\(boundary)--\r\n")
        return body
    }

    @Test func stowRefusesACutInstanceWithC000AndStoresTheOthers() async throws {
        try await DICOMwebTests.withApp { client, fixture in
            let whole = try DICOMwebTests.part10(instance: "1.2.3.9.1.1", series: "1.2.3.9.1", study: "1.2.3.9")
            let cut = Self.cut(try DICOMwebTests.part10(instance: "1.2.3.9.1.2", series: "1.2.3.9.1", study: "1.2.3.9"))
            try await client.execute(uri: "/dicom-web/studies", method: .post,
                                     headers: [.contentType: "multipart/related; type=\"application/dicom\"; boundary=b0undary",
                                               .accept: "application/dicom+json"], body: Self.multipart([whole, cut])) { response throws in
                #expect(response.status == .accepted)
                let result = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let failed = try #require(((result["00081198"] as? [String: Any])?["Value"] as? [[String: Any]]))
                #expect(failed.map { DICOMwebTests.value($0, "00081155") as? String } == ["1.2.3.9.1.2"])
                #expect(failed.map { DICOMwebTests.value($0, "00081197") as? Int } == [0xC000])
            }
            #expect(try await fixture.archive.catalog.versions(of: "1.2.3.9.1.1").count == 1)
            #expect(try await fixture.archive.catalog.versions(of: "1.2.3.9.1.2").isEmpty)
        }
    }

    /// A damaged copy kept on purpose (import --keep-damaged) of an instance held intact: the
    /// intact one stays current, and is what every retrieve gives.
    @Test func aDamagedCopyNeverHidesTheIntactOne() async throws {
        try await DICOMwebTests.withApp { client, fixture in
            let path = fixture.root + "/damaged.dcm"
            let intact = try DICOMwebTests.part10(instance: "1.2.3.1.1.1", series: "1.2.3.1.1", study: "1.2.3.1")
            try Data(Self.cut(try DICOMwebTests.part10(instance: "1.2.3.1.1.1", series: "1.2.3.1.1", study: "1.2.3.1", pixels: 9)))
                .write(to: URL(fileURLWithPath: path))
            // Refused by a plain import, as by C-STORE and STOW-RS.
            guard case .refused(let error) = await Importer(ingestor: fixture.archive.ingestor).importFile(at: path), error.code == .cannotUnderstand else {
                Issue.record("a cut file was not refused")
                return
            }
            #expect(error.message == "Pixel Data (7FE0,0010) runs past the end of the data set")
            guard case .keptDamaged(.newVersion(2), let problem) = await Importer(ingestor: fixture.archive.ingestor, keepingDamaged: true).importFile(at: path) else {
                Issue.record("not kept as a damaged version")
                return
            }
            #expect(problem == error.message)
            let versions = try await fixture.archive.catalog.versions(of: "1.2.3.1.1.1")
            #expect(versions.map(\.problem?.isEmpty) == [nil, false])
            try await client.execute(uri: "/wado?requestType=WADO&studyUID=1.2.3.1&seriesUID=1.2.3.1.1&objectUID=1.2.3.1.1.1", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(Array(buffer: response.body) == intact, "the intact version is the one served")
            }
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/metadata", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(try DICOMwebTests.jsonArray(response.body).count == 2)
            }
        }
    }

    /// The only copy of one instance is damaged: the study's metadata and thumbnail answer
    /// with the others; QIDO still lists it.
    @Test func oneUnreadableInstanceDoesNotBreakItsStudy() async throws {
        try await DICOMwebTests.withApp { client, fixture in
            let path = fixture.root + "/only-damaged.dcm"
            try Data(Self.cut(try DICOMwebTests.part10(instance: "1.2.3.1.1.3", series: "1.2.3.1.1", study: "1.2.3.1"))).write(to: URL(fileURLWithPath: path))
            guard case .keptDamaged = await Importer(ingestor: fixture.archive.ingestor, keepingDamaged: true).importFile(at: path) else {
                Issue.record("not kept as damaged")
                return
            }
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/metadata", method: .get) { response throws in
                #expect(response.status == .ok)
                let instances = try DICOMwebTests.jsonArray(response.body).compactMap { DICOMwebTests.value($0, "00080018") as? String }
                #expect(Set(instances) == ["1.2.3.1.1.1", "1.2.3.1.1.2"])
            }
            // The thumbnail's middle instance is the damaged one: the next is drawn instead.
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/thumbnail", method: .get, headers: [.accept: "image/png"]) { response throws in
                #expect(response.status == .ok && response.headers[.contentType] == "image/png")
            }
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/instances", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(try DICOMwebTests.jsonArray(response.body).count == 3)
            }
            // Asked for alone, it says it cannot be read (and the log names it).
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/series/1.2.3.1.1/instances/1.2.3.1.1.3/metadata", method: .get) { response throws in
                try DICOMwebTests.expectProblem(response, .internalServerError, mentioning: "1.2.3.1.1.3 cannot be read")
            }
        }
    }

    /// A stored file gone from the disk: a 500 as problem+json that says what could not be
    /// done and not where the archive keeps its files (the server log has that).
    @Test func aServerErrorSaysWhatNotWhere() async throws {
        try await DICOMwebTests.withApp { client, fixture in
            let version = try #require(try await fixture.archive.catalog.versions(of: "1.2.3.1.1.1").first)
            try FileManager.default.removeItem(atPath: try #require(fixture.archive.blobs.localPath(of: version.blob)))
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/series/1.2.3.1.1/instances/1.2.3.1.1.1/metadata", method: .get) { response throws in
                try DICOMwebTests.expectProblem(response, .internalServerError, mentioning: "the server log says why")
                #expect(!String(buffer: response.body).contains(fixture.root), "\(String(buffer: response.body))")
            }
        }
    }
}
