import Archive
import DICOM
import Foundation
import TestSupport
import Testing

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
            // JPEG 2000 is not drawn here: the page says so and offers the file.
            steps += Self.visit(j2kViewer) + [["wait", "document.body.innerText.includes('diagnostic viewer')"], ["dom"]]
            steps += Self.visit(base + "#/?name=compressed") + [shot("study-list", 1200, 800)]
            steps += Self.visit(base + "#/study/\(study)") + [["wait", "[...document.images].every(i => i.complete)"], shot("study", 1200, 800)]
            steps += Self.visit(base + "#/viewer/\(study)/\(series)") + [["wait", "document.querySelector('img[data-loaded=\"true\"]') !== null"],
                                                                     shot("viewer-phone", 390, 844)]
            steps += Self.visit(j2kViewer) + [["wait", "document.body.innerText.includes('diagnostic viewer')"], shot("viewer-jpeg2000", 800, 700)]
            // Signing out ends the session: the page asks again.
            steps += [["click", "#who button"], ["wait", "document.body.dataset.state === 'signin'"], ["eval", "fetch('/dicom-web/studies').then(r => r.status)"]]
            // An auditor asks who looked at the CT's patient: the radiologist, from this browser.
            steps += [["fill", "input[name=user]", login.auditor], ["fill", "input[name=password]", login.auditorPassword], ["click", "button[type=submit]"],
                      ["wait", "['ready', 'error'].includes(document.body.dataset.state)"], ["console"]]
            steps += Self.visit(base + "#/audit?patient=\((try? ct.string(.patientID)) ?? "")&action=view") + [["dom"], ["console"], shot("audit", 1200, 800)]

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
            #expect(doms[5].contains("diagnostic viewer") && doms[5].contains("contentType=application/dicom"))
            #expect(results[16] as? Int == 401, "signed out, the archive answers nothing")
            #expect(doms[6].contains("Audit trail") && doms[6].contains("<td>\(login.user)</td>") && doms[6].contains("<td>view</td>"), "the radiologist's views")
            #expect(doms[6].contains("/dicom-web/studies/\(study)/"))
            #expect(consoles[6].isEmpty, "\(consoles[6])")
            for name in ["sign-in", "study-list", "study", "viewer-phone", "viewer-jpeg2000", "audit"] {
                #expect(FileManager.default.fileExists(atPath: "\(Self.screenshots)/\(name).png"), "\(name)")
            }
        }
    }
}
