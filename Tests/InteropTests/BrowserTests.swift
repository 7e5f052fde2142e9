import Archive
import Continuity
import DICOM
import Foundation
import Security
import TestSupport
import Testing
import Web

/// The viewer in a real browser: headless Chromium, driven over its DevTools protocol
/// (Helpers/browser.py), signs in through the page as a radiologist would, then finds a
/// study by name, shows a series' picture, and says what to do with an image it cannot
/// draw — logging nothing to the console. Screenshots are kept in .build/ui-screenshots.
@Suite(.serialized) struct BrowserTests {
    static let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/ui-screenshots").standardized.path
    static let driver = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/browser.py").path

    /// Runs the steps in one browser session; returns what the recording steps recorded.
    static func browse(_ steps: [[Any]]) async throws -> [Any] {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        let run = try await Subprocess.run("python3", [driver, json])
        let answer = try #require(try? JSONSerialization.jsonObject(with: run.output) as? [String: Any], "\(run.text) \(run.errors)")
        if let error = answer["error"] as? String { Issue.record("the browser: \(error)") }
        return answer["results"] as? [Any] ?? []
    }

    /// Opens a page of the viewer afresh (as from a bookmark: the session cookie carries
    /// over) and waits until it has settled (ready or error).
    static func visit(_ url: String) -> [[Any]] {
        [["goto", "about:blank"], ["wait", "location.href === 'about:blank'"], ["goto", url],
         ["wait", "['ready', 'error'].includes(document.body.dataset.state)"]]
    }

    @Test func theViewerSignsInFindsAStudyAndShowsItsImages() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            Issue.record("chromium is not installed: Scripts/test.sh installs it")
            return
        }
        let corpus = try PydicomData.directory() + "/test_files/"
        let files = ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm"].map { (path: corpus + $0, name: $0) }
        try FileManager.default.createDirectory(atPath: Self.screenshots, withIntermediateDirectories: true)
        try await Interop.withDICOMweb { port, archive, login in
            for file in files {
                guard case .imported = await Importer(ingestor: archive.ingestor).importFile(at: file.path) else { Issue.record("\(file.name)"); return }
            }
            let base = "http://127.0.0.1:\(port)/"
            let ct = try DICOMFile(path: try #require(files.first { $0.path.hasSuffix("CT_small.dcm") }).path, options: .headerOnly).dataSet
            let j2k = try DICOMFile(path: try #require(files.first { $0.path.hasSuffix("JPEG2000.dcm") }).path, options: .headerOnly).dataSet
            let study = try #require(ct.uid(.studyInstanceUID)), series = try #require(ct.uid(.seriesInstanceUID))
            let j2kViewer = base + "#/viewer/\(j2k.uid(.studyInstanceUID) ?? "")/\(j2k.uid(.seriesInstanceUID) ?? "")"
            let shot = { (name: String, width: Int, height: Int) -> [Any] in ["screenshot", "\(Self.screenshots)/\(name).png", width, height] }

            var steps: [[Any]] = [
                // Not signed in: the page asks, and a wrong password is told as such.
                ["goto", base + "#/?name=compressedsamples%5Ect1"], ["wait", "document.body.dataset.state === 'signin'"], ["dom"], ["console"],
                shot("sign-in", 1200, 800),
                ["fill", "input[name=user]", login.user], ["fill", "input[name=password]", "not the password"], ["click", "button[type=submit]"],
                ["wait", "document.body.dataset.state === 'signin-failed'"], ["dom"], ["console"],
                ["fill", "input[name=password]", login.password], ["click", "button[type=submit]"],
                ["wait", "document.body.dataset.state === 'ready'"],
            ]
            // The study list, searched by name as a radiologist types it (lower case, a prefix).
            steps += Self.visit(base + "#/?name=compressedsamples%5Ect1") + [["dom"], ["console"]]
            steps += Self.visit(base + "#/study/\(study)") + [["dom"], ["console"]]
            steps += Self.visit(base + "#/viewer/\(study)/\(series)") + [["wait", "document.querySelector('img[data-loaded=\"true\"]') !== null"],
                                                                     ["dom"], ["console"]]
            // JPEG 2000 is drawn too (decoded on the server through OpenJPEG).
            steps += Self.visit(j2kViewer) + [["wait", "document.querySelector('img[data-loaded=\"true\"]') !== null"], ["dom"]]
            steps += Self.visit(base + "#/?name=compressed") + [shot("study-list", 1200, 800)]
            steps += Self.visit(base + "#/study/\(study)") + [["wait", "[...document.images].every(i => i.complete)"], shot("study", 1200, 800)]
            steps += Self.visit(base + "#/viewer/\(study)/\(series)") + [["wait", "document.querySelector('img[data-loaded=\"true\"]') !== null"],
                                                                     shot("viewer-phone", 390, 844)]
            steps += Self.visit(j2kViewer) + [["wait", "document.querySelector('img[data-loaded=\"true\"]') !== null"], shot("viewer-jpeg2000", 800, 700)]
            // Signing out ends the session: the page asks again.
            steps += [["click", "#who button"], ["wait", "document.body.dataset.state === 'signin'"], ["eval", "fetch('/dicom-web/studies').then(r => r.status)"]]
            // An auditor asks who looked at the CT's patient: the radiologist, from this browser.
            // Signed in on the audit page itself: signed in where the radiologist left off, the
            // auditor's page would first ask for the JPEG 2000 study (403, as it must), and on a
            // slow machine those answers come after the first console is read, in the audit's.
            steps += [["goto", "about:blank"], ["wait", "location.href === 'about:blank'"],
                      ["goto", base + "#/audit?patient=\((try? ct.string(.patientID)) ?? "")&action=view"],
                      ["wait", "document.body.dataset.state === 'signin'"],
                      ["fill", "input[name=user]", login.auditor], ["fill", "input[name=password]", login.auditorPassword], ["click", "button[type=submit]"],
                      ["wait", "['ready', 'error'].includes(document.body.dataset.state)"], ["console"]]
            steps += [["dom"], ["console"], shot("audit", 1200, 800)]

            let results = try await Self.browse(steps)
            guard results.count == 21 else { Issue.record("the browser recorded \(results.count) results"); return }
            let doms = results.compactMap { $0 as? String }.filter { $0.hasPrefix("<html") }
            let consoles = results.compactMap { $0 as? [String] }
            #expect(doms.count == 7 && consoles.count == 7)
            #expect(doms[0].contains("Sign in") && !doms[0].contains(study), "nothing of a patient before signing in")
            #expect(consoles[0].isEmpty, "\(consoles[0])")
            #expect(doms[1].contains("wrong user name or password"))
            #expect(doms[2].contains("data-uid=\"\(study)\""), "the study searched for")
            #expect(!doms[2].contains("data-uid=\"\(j2k.uid(.studyInstanceUID) ?? "-")\""), "only the study searched for")
            #expect(doms[2].contains("\(login.user) (radiologist)"))
            #expect(consoles[2].isEmpty, "\(consoles[2])")
            #expect(doms[3].contains("data-uid=\"\(series)\"") && doms[3].contains("alt=\"series thumbnail\""))
            #expect(consoles[3].isEmpty, "\(consoles[3])")
            #expect(doms[4].contains("data-loaded=\"true\""), "the frame was drawn and loaded")
            #expect(consoles[4].isEmpty, "\(consoles[4])")
            #expect(doms[5].contains("data-loaded=\"true\"") && !doms[5].contains("diagnostic viewer"), "the JPEG 2000 frame was drawn")
            #expect(results[16] as? Int == 401, "signed out, the archive answers nothing")
            #expect(doms[6].contains("Audit trail") && doms[6].contains("<td>\(login.user)</td>") && doms[6].contains("<td>view</td>"), "the radiologist's views")
            #expect(doms[6].contains("/dicom-web/studies/\(study)/"))
            #expect(consoles[6].isEmpty, "\(consoles[6])")
            for name in ["sign-in", "study-list", "study", "viewer-phone", "viewer-jpeg2000", "audit"] {
                #expect(FileManager.default.fileExists(atPath: "\(Self.screenshots)/\(name).png"), "\(name)")
            }
        }
    }

    /// The operations dashboard as a PACS administrator sees it, on a desktop and on a phone:
    /// the PACS down with its downtime open, a target failing for good, a failed drill beside
    /// the passing ones and their trend, the scrub, the disk, the alerts — and nothing that
    /// makes the phone scroll sideways or the console complain.
    @Test func theOperationsDashboardShowsEveryCheckOnADesktopAndAPhone() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            Issue.record("chromium is not installed: Scripts/test.sh installs it")
            return
        }
        try FileManager.default.createDirectory(atPath: Self.screenshots, withIntermediateDirectories: true)
        let site = try TestArchive()
        try await site.seedOperations()
        let security = try NodeSecurity(data: site.root, bcryptCost: 4)
        try security.users.add(name: "pacs-admin", role: .administrator, password: "keeps every image safe")
        var server = WebServer(host: "127.0.0.1", port: 0,
                               dicomweb: DICOMweb(engine: QueryEngine(catalog: site.archive.catalog, blobs: site.archive.blobs), ingestor: site.archive.ingestor),
                               access: HTTPAccess(users: security.users, audit: security.audit), catalog: site.archive.catalog)
        server.operations = ("LIFEBOAT", site.root)
        server.continuity = try ContinuityStores(pool: site.archive.catalog.pool)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { [server] in try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let base = "http://127.0.0.1:\(port)/"
        let shot = { (name: String, width: Int, height: Int) -> [Any] in ["screenshot", "\(Self.screenshots)/\(name).png", width, height] }
        let steps: [[Any]] = [
            ["goto", base + "#/operations"], ["wait", "document.body.dataset.state === 'signin'"],
            ["fill", "input[name=user]", "pacs-admin"], ["fill", "input[name=password]", "keeps every image safe"], ["click", "button[type=submit]"],
            ["wait", "['ready', 'error'].includes(document.body.dataset.state)"],
        ] + Self.visit(base + "#/operations") + [
            ["dom"], ["console"], shot("operations", 1280, 1000),
            ["eval", "document.querySelectorAll('section.card').length"],
            ["eval", "[...document.querySelectorAll('section.card.bad')].map(c => c.dataset.card).join(',')"],
            ["eval", "document.querySelector('svg.trend polyline') !== null"],
            shot("operations-phone", 390, 844),
            ["eval", "document.documentElement.scrollWidth <= document.documentElement.clientWidth"],
            ["console"],
        ]
        let results = try await Self.browse(steps)
        guard results.count == 9 else { Issue.record("the browser recorded \(results.count) results: \(results)"); return }
        let dom = try #require(results[0] as? String)
        #expect(dom.contains("Operations — LIFEBOAT") && dom.contains("href=\"#/operations\""))
        #expect(dom.contains("open alert") && dom.contains("PACS is down"), "the verdict names what is wrong")
        #expect(dom.contains("state down") && dom.contains("still open"), "the PACS and its open downtime")
        #expect(dom.contains("403 AccessDenied: the key was revoked"), "the target failing for good, and why")
        #expect(dom.contains("FAILED") && dom.contains("95.0 MB/s"), "the failed drill and the last passing one's rate")
        #expect(dom.contains("1 bad copy found, 1 healed") && dom.contains(">67%<"), "the integrity card")
        #expect(dom.contains("A 48-hour PACS outage needs"), "the disk forecast")
        #expect((results[1] as? [String])?.isEmpty == true, "\(results[1])")
        #expect(dom.contains("1000 versions after 6.5 s") && dom.contains("101000 versions after 7 min 52 s"), "the restore that made the archive: both recovery times")
        #expect(results[3] as? Int == 7, "seven cards")
        #expect(results[4] as? String == "PACS,Copies at each site,Recovery drills,Alerts", "\(results[4])")
        #expect(results[5] as? Bool == true, "the drills' trend is drawn")
        #expect(results[7] as? Bool == true, "nothing scrolls sideways on a phone")
        #expect((results[8] as? [String])?.isEmpty == true, "\(results[8])")
        for name in ["operations", "operations-phone"] {
            #expect(FileManager.default.fileExists(atPath: "\(Self.screenshots)/\(name).png"), "\(name)")
        }
    }
}
