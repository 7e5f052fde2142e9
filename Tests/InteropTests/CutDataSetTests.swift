import Archive
import DICOM
import DICOMNetwork
import Foundation
import NIOCore
import TestSupport
import Testing

/// Data sets cut short or lying about their pixel data, sent to the real archive as a sender
/// that does not check what it sends would (by C-STORE, streaming the bytes as they are):
/// whatever is acknowledged reads whole, and every cut inside a value is refused, C000 with
/// an Error Comment saying what, leaving nothing behind.
@Suite struct CutDataSetTests {
    /// Native (little and big endian, multi-frame), encapsulated (JPEG, RLE) and deflated data sets.
    static let sources = ["CT_small.dcm", "MR_small_bigendian.dcm", "rtdose_expb.dcm", "JPEG2000.dcm", "MR_small_RLE.dcm", "image_dfl.dcm",
                          "SC_rgb_small_odd.dcm"]

    struct Sent {
        let cut: Int
        let length: Int
        let status: DIMSEStatus
        let comment: String?
    }

    /// Sends each of `bodies` (data sets in `syntax`) as a C-STORE of `sopClass`/`instance`.
    static func send(_ bodies: [[UInt8]], sopClass: String, instance: String, syntax: String, port: Int) async throws -> [(DIMSEStatus, String?)] {
        let context = ProposedPresentationContext(id: 1, abstractSyntax: sopClass, transferSyntaxes: [syntax])
        return try await RequestorAssociation.withAssociation(.init(host: "127.0.0.1", port: port, calledAETitle: "LIFEBOAT"), proposing: [context]) { association in
            var answers: [(DIMSEStatus, String?)] = []
            for body in bodies {
                var chunks = stride(from: 0, to: body.count, by: 64 << 10).map { ByteBuffer(bytes: body[$0..<min($0 + (64 << 10), body.count)]) }
                answers.append(try await association.store(sopClassUID: sopClass, sopInstanceUID: instance, contextID: 1) {
                    chunks.isEmpty ? nil : chunks.removeFirst()
                })
            }
            return answers
        }
    }

    @Test func whatIsAcknowledgedIsWholeAndEveryCutValueIsRefused() async throws {
        let root = try PydicomData.directory() + "/test_files/"
        try await Interop.withLifeboat { port, archive in
            var sent: [Sent] = []
            for name in Self.sources {
                let file = try DICOMFile(path: root + name, options: .headerOnly)
                let body = try Interop.dataSetBytes(root + name)
                let pixels = try #require(file.pixelDataOffset) - (132 + file.fileMeta.encodedLength(explicitVR: true))
                // Cut points all through the data set, and in and around its pixel data.
                let cuts = Set((1...24).map { body.count * $0 / 25 } + [pixels + 4, pixels + 12, pixels + 40, body.count - 1, body.count - 2])
                    .filter { $0 > 0 && $0 < body.count }.sorted()
                let answers = try await Self.send(cuts.map { Array(body.prefix($0)) }, sopClass: try #require(file.dataSet.uid(.sopClassUID)),
                                                  instance: try #require(file.dataSet.uid(.sopInstanceUID)), syntax: file.transferSyntax.uid, port: port)
                for (cut, answer) in zip(cuts, answers) {
                    sent.append(Sent(cut: cut, length: body.count, status: answer.0, comment: answer.1))
                    // A cut inside the pixel data (or in the deflated stream — image_dfl.dcm carries 8 bytes
                    // after the stream's end, which are not the data set's) leaves a value cut: refused.
                    let inPixels = file.transferSyntax.isDeflated ? cut > body.count / 2 && cut < body.count - 8 : cut > pixels + 12
                    if inPixels {
                        #expect(answer.0 == .cannotUnderstand, "\(name) cut at \(cut) of \(body.count): \(answer)")
                        #expect((answer.1 ?? "").count > 10 && (answer.1 ?? "").count <= 64, "an Error Comment says why: \(answer.1 ?? "none")")
                    }
                }
            }
            // Whatever was acknowledged reads whole; every refusal left nothing behind.
            var versions = 0
            for name in Self.sources {
                let instance = try #require(try DICOMFile(path: root + name, options: .headerOnly).dataSet.uid(.sopInstanceUID))
                for version in try await archive.catalog.versions(of: instance) {
                    versions += 1
                    let path = try #require(archive.blobs.localPath(of: version.blob))
                    #expect(throws: Never.self, "\(name) version \(version.number)") { _ = try StructureCheck.read(path: path) }
                    #expect(version.problem == nil)
                }
            }
            let accepted = sent.filter { $0.status == .success }.count
            #expect(versions == accepted, "one version for each acknowledged data set (each cut is other bytes)")
            #expect(sent.filter { $0.status != .success }.allSatisfy { $0.status == .cannotUnderstand })
            let leftovers = try FileManager.default.subpathsOfDirectory(atPath: archive.blobs.stagingDirectory).filter { !$0.hasSuffix("/") }
            #expect(leftovers.isEmpty, "\(leftovers)")
            print("cut data sets: \(sent.count) sent, \(accepted) acknowledged (each whole), \(sent.count - accepted) refused")
        }
    }

    /// Native pixel data shorter than Rows x Columns x Samples x Bits x Frames, the file otherwise well formed.
    @Test func pixelDataShorterThanItsFramesIsRefused() async throws {
        let root = try PydicomData.directory() + "/test_files/"
        var file = try DICOMFile(path: root + "CT_small.dcm")
        // Twice the rows the pixel data holds.
        file.dataSet[.rows] = DataElement(tag: .rows, vr: .US, integers: [UInt16(256)])
        let body = try file.dataSet.encoded(in: file.transferSyntax)
        try await Interop.withLifeboat { port, archive in
            let answers = try await Self.send([body], sopClass: try #require(file.dataSet.uid(.sopClassUID)),
                                              instance: try #require(file.dataSet.uid(.sopInstanceUID)), syntax: file.transferSyntax.uid, port: port)
            #expect(answers.first?.0 == .cannotUnderstand)
            #expect(answers.first?.1 == "pixel data cut short: 32768 of 65536 bytes", "\(answers)")
            #expect(try await archive.catalog.counts().instances == 0)
        }
    }
}
