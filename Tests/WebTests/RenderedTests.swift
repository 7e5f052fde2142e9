import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Web

/// Rendered studies and series (PS3.18 10.4.1.1.4), and `quality` for JPEG (8.3.5.1.3).
@Suite struct RenderedTests {
    @Test func aSeriesIsRenderedOnePictureAnInstance() async throws {
        try await DICOMwebTests.withApp { client, _ in
            for (uri, count) in [("/dicom-web/studies/1.2.3.1/series/1.2.3.1.1/rendered", 2), ("/dicom-web/studies/1.2.3.1/rendered", 2)] {
                try await client.execute(uri: uri, method: .get, headers: [.accept: "multipart/related; type=\"image/png\""]) { response throws in
                    #expect(response.status == .ok, "\(uri)")
                    let parts = try FrameNegotiationTests.parts(response)
                    #expect(parts.count == count && parts.allSatisfy { $0.type == "image/png" && $0.bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) }, "\(uri)")
                }
            }
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/rendered", method: .get, headers: [.accept: "multipart/related; type=\"image/jpeg\""]) { response throws in
                let parts = try FrameNegotiationTests.parts(response)
                #expect(parts.count == 2 && parts.allSatisfy { $0.type == "image/jpeg" && $0.bytes.starts(with: [0xFF, 0xD8]) })
            }
            try await client.execute(uri: "/dicom-web/studies/1.2.3.1/rendered", method: .get, headers: [.accept: "application/dicom"]) { response throws in
                #expect(response.status == .notAcceptable)
            }
        }
    }

    @Test func qualitySetsTheJPEGsCompression() async throws {
        try await DICOMwebTests.withApp { client, _ in
            let uri = "/dicom-web/studies/1.2.3.1/series/1.2.3.1.1/instances/1.2.3.1.1.1/rendered"
            var sizes: [Int] = []
            for quality in [10, 95] {
                try await client.execute(uri: uri + "?quality=\(quality)", method: .get, headers: [.accept: "image/jpeg"]) { response throws in
                    #expect(response.status == .ok && response.headers[.contentType] == "image/jpeg")
                    sizes.append(response.body.readableBytes)
                }
            }
            #expect(sizes.count == 2 && sizes[0] < sizes[1], "quality 10 is smaller than 95: \(sizes)")
            for bad in ["0", "101", "high"] {
                try await client.execute(uri: uri + "?quality=\(bad)", method: .get, headers: [.accept: "image/jpeg"]) { response throws in
                    try DICOMwebTests.expectProblem(response, .badRequest, mentioning: "quality")
                }
            }
        }
    }
}
