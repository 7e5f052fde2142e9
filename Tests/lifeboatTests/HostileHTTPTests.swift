import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// `lifeboat serve`'s HTTP side against clients that would take it down: connections that
/// never finish their headers, bodies that stop half way, more connections than one address
/// should hold, frame lists that ask for the same frame thousands of times, and a deflated
/// data set that inflates to most of a GiB. Each is answered or closed, and the server's
/// memory, read from /proc, stays small.
@Suite(.serialized) struct HostileHTTPTests {
    static let helpers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers").path

    /// A service user's API token on `site`.
    static func token(_ site: SecurityServeTests.Site) async throws -> String {
        let lifeboat = DumpCommandTests.binary.path
        _ = try await Subprocess.run(lifeboat, ["user", "add", "viewer", "--role", "service", "--data", site.data])
        let token = try await Subprocess.run(lifeboat, ["token", "create", "viewer", "--data", site.data])
        return token.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func importFile(_ path: String, into site: SecurityServeTests.Site) async throws {
        let run = try await Subprocess.run(DumpCommandTests.binary.path, ["import", "--data", site.data, path])
        #expect(run.status == 0, "\(run.text) \(run.errors)")
    }

    /// The status of a GET, and how many body bytes came (counted as they come, not kept).
    static func get(_ url: String, token: String, accept: String? = nil) async throws -> (status: Int, bytes: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let accept { request.headers.add(name: "Accept", value: accept) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        var bytes = 0
        var start = ""
        for try await chunk in response.body {
            if start.count < 4096 { start += String(buffer: chunk).prefix(4096 - start.count) }
            bytes += chunk.readableBytes
        }
        return (Int(response.status.code), bytes, start)
    }

    /// The regular files under `folder`, at any depth.
    static func files(in folder: String) -> [String] {
        (FileManager.default.subpaths(atPath: folder) ?? []).filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    static func resident(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    @Test func unfinishedHeadersAndStalledBodiesAreClosedAndDICOMKeepsWorking() async throws {
        try await SecurityServeTests.withServe(config: "http-idle-seconds: 2") { site in
            let token = try await Self.token(site)
            // 300 connections from 20 addresses, each with its headers never finished.
            var slow: [RawConnection] = []
            for host in 2...21 {
                for _ in 0..<15 {
                    let connection = try RawConnection(port: site.httpPort, from: "127.0.0.\(host)")
                    connection.send(Array("GET /dicom-web/studies HTTP/1.1\r\nHost: lifeboat\r\nAccept: application/dicom+json\r\n".utf8))
                    slow.append(connection)
                }
            }
            // A STOW-RS that promises 10 MB and stops after 64 KB.
            let file = try PydicomData.directory() + "/test_files/CT_small.dcm"
            let stalled = try RawConnection(port: site.httpPort)
            let head = "POST /dicom-web/studies HTTP/1.1\r\nHost: lifeboat\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: multipart/related; type=\"application/dicom\"; boundary=b0undary\r\nContent-Length: 10000000\r\n\r\n"
                + "--b0undary\r\nContent-Type: application/dicom\r\n\r\n"
            stalled.send(Array(head.utf8) + Array(try Data(contentsOf: URL(fileURLWithPath: file))).prefix(30000))
            // Meanwhile a modality stores.
            let store = try await SecurityServeTests.dcmtk("storescu", ["-aec", "LIFEBOAT", "127.0.0.1", "\(site.dicomPort)", file])
            #expect(store.status == 0, "\(store.errors)")
            try await Polling.waitUntil(seconds: 30) { slow.allSatisfy { $0.isClosed(within: 10) } && stalled.isClosed(within: 10) }
            // Only the C-STORE's instance is kept; the cut STOW-RS left nothing behind.
            let stats = try await Subprocess.run(DumpCommandTests.binary.path, ["stats", "--data", site.data])
            #expect(stats.text.contains("1 instance"), "\(stats.text)")
            #expect(Self.files(in: site.data + "/tmp").isEmpty, "\(Self.files(in: site.data + "/tmp"))")
        }
    }

    /// A 500 is logged where the administrator looks, with its cause; the answer says what
    /// failed, not where the files are.
    @Test func aServerErrorIsLoggedWithItsCause() async throws {
        try await SecurityServeTests.withServe(config: "") { site in
            let token = try await Self.token(site)
            let file = try PydicomData.directory() + "/test_files/CT_small.dcm"
            try await Self.importFile(file, into: site)
            // The blob gone from the disk under the server.
            for blob in Self.files(in: site.data + "/blobs") { try FileManager.default.removeItem(atPath: site.data + "/blobs/" + blob) }
            let study = "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322", series = "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322"
            let url = "http://127.0.0.1:\(site.httpPort)/dicom-web/studies/\(study)/series/\(series)/instances/1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322/metadata"
            let answer = try await Self.get(url, token: token)
            #expect(answer.status == 500 && answer.body.contains("the server log says why") && !answer.body.contains(site.data), "\(answer.body)")
            try await Polling.waitUntil(seconds: 10) { site.serve.log.contains("HTTP 500") }
            #expect(site.serve.log.contains("cause=") && site.serve.log.contains(site.data), "the log has the cause and the path: \(site.serve.log)")
        }
    }

    @Test func oneAddressHoldsAtMost64Connections() async throws {
        try await SecurityServeTests.withServe(config: "http-idle-seconds: 60") { site in
            var connections: [RawConnection] = []
            for _ in 0..<70 { connections.append(try RawConnection(port: site.httpPort, from: "127.0.0.60")) }
            func closed() -> Int { connections.filter { $0.isClosed(within: 10) }.count }
            try await Polling.waitUntil(seconds: 10) { closed() >= 6 }
            #expect(closed() == 6)
            // Another address is not held back by it.
            #expect(try await SecurityServeTests.http(.GET, "http://127.0.0.1:\(site.httpPort)/health").0 == 200)
        }
    }

    /// The bound is on what the server holds, so the allocator's own keeping is fixed for this
    /// process: glibc's mmap threshold otherwise rises to the size of each large block freed,
    /// after which freed 2 MiB frames stay in per-thread arenas, and peak RSS grew by 11 to 41
    /// MiB over the same run (6 to 12 MiB with it fixed at 1 MiB). Fixing it in lifeboat serve itself
    /// cost WADO-RS and C-MOVE a third of their throughput (their 1 MiB reads became mappings).
    @Test func frameListsCannotAmplifyAndManyFramesStreamInBoundedMemory() async throws {
        try await SecurityServeTests.withServe(config: "", environment: ["MALLOC_MMAP_THRESHOLD_": "\(1 << 20)"]) { site in
            let token = try await Self.token(site)
            let path = site.data + "-frames.dcm", instance = "1.2.826.0.1.3680043.10.63.1"
            defer { try? FileManager.default.removeItem(atPath: path) }
            // 40 frames of 1024 x 1024 x 16 bits: 80 MiB of pixels.
            let made = try await Subprocess.run("python3", [Self.helpers + "/make_multiframe.py", path, "40", "1024", "1024", instance])
            #expect(made.status == 0, "\(made.errors)")
            try await Self.importFile(path, into: site)
            let base = "http://127.0.0.1:\(site.httpPort)/dicom-web/studies/\(instance).1/series/\(instance).2/instances/\(instance)/frames/"
            // A 14 KB list repeating frame 1 (the answer would have been 14 GB): refused.
            let repeated = Array(repeating: "1", count: 7000).joined(separator: ",")
            let amplified = try await Self.get(base + repeated, token: token, accept: "multipart/related; type=\"application/octet-stream\"")
            #expect(amplified.status == 400, "\(amplified.body)")
            #expect(amplified.body.contains("more frame numbers than the instance's 40 frames"))
            // Every frame once: 80 MiB go out, a frame at a time.
            site.serve.resetPeakMemory()
            let before = Self.resident(site.serve.pid)
            let all = try await Self.get(base + (1...40).map(String.init).joined(separator: ","), token: token,
                                         accept: "multipart/related; type=\"application/octet-stream\"")
            let growth = site.serve.peakMemory - before
            #expect(all.status == 200 && all.bytes > 80 << 20, "\(all.status) \(all.bytes)")
            #expect(growth < 40 << 20, "the server's peak memory grew by \(growth >> 20) MiB sending \(all.bytes >> 20) MiB")
            print("frames: \(all.bytes >> 20) MiB sent; peak resident memory grew by \(growth >> 20) MiB")
        }
    }

    @Test func aDeflateBombIsReadInBoundedMemoryOrRefused() async throws {
        try await SecurityServeTests.withServe(config: "") { site in
            let token = try await Self.token(site)
            let path = site.data + "-bomb.dcm", instance = "1.2.826.0.1.3680043.10.64.1"
            defer { try? FileManager.default.removeItem(atPath: path) }
            let made = try await Subprocess.run("python3", [Self.helpers + "/deflate_bomb.py", path, "900", instance])
            #expect(made.status == 0, "\(made.errors)")
            let onDisk = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(onDisk < 4 << 20, "\(onDisk) bytes on disk")
            try await Self.importFile(path, into: site)
            let study = "2.25.9" + instance.suffix(20), series = "2.25.8" + instance.suffix(20)
            let base = "http://127.0.0.1:\(site.httpPort)/dicom-web/studies/\(study)/series/\(series)/instances/\(instance)"
            site.serve.resetPeakMemory()
            let before = Self.resident(site.serve.pid)
            let metadata = try await Self.get(base + "/metadata", token: token)
            #expect(metadata.status == 200 && metadata.body.contains("BulkDataURI"), "\(metadata.status) \(metadata.body.prefix(300))")
            let rendered = try await Self.get(base + "/rendered", token: token, accept: "image/png")
            #expect(rendered.status == 422 && rendered.body.contains("inflates to more than 64 MiB"), "\(rendered.status) \(rendered.body)")
            let growth = site.serve.peakMemory - before
            #expect(growth < 100 << 20, "the server's peak memory grew by \(growth >> 20) MiB")
            print("deflate bomb: \(onDisk >> 10) KiB on disk, 900 MiB inflated; peak resident memory grew by \(growth >> 20) MiB")
        }
    }
}
