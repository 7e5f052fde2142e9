import Archive
import DICOM
import Foundation
import TestSupport
import Testing

/// The viewer in a real browser: headless Chromium loads the pages from Lifeboat's HTTP
/// port; the pages must log nothing to the console, find a study by name, show a series'
/// picture, and say what to do with an image they cannot draw. Screenshots are kept in
/// .build/ui-screenshots to look at.
@Suite(.serialized) struct BrowserTests {
    static let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/ui-screenshots").standardized.path

    static func chromium(_ arguments: [String]) async throws -> Subprocess {
        try await Subprocess.run("/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                                       "--virtual-time-budget=8000"] + arguments)
    }

    /// The page's DOM once its scripts have run, and what it logged to the console.
    static func load(_ url: String) async throws -> (dom: String, console: [String]) {
        let run = try await chromium(["--dump-dom", url])
        let console = run.errors.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return (run.text, console)
    }

    static func screenshot(_ url: String, _ name: String, width: Int, height: Int) async throws {
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        let path = "\(screenshots)/\(name).png"
        _ = try await chromium(["--window-size=\(width),\(height)", "--screenshot=\(path)", url])
        #expect(FileManager.default.fileExists(atPath: path), "\(name)")
    }

    @Test func theViewerFindsAStudyAndShowsItsImages() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            Issue.record("chromium is not installed: Scripts/test.sh installs it")
            return
        }
        let corpus = try PydicomData.directory() + "/test_files/"
        let files = ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm"].map { (path: corpus + $0, name: $0) }
        try await Interop.withDICOMweb { port, archive, login in
            for file in files {
                guard case .imported = await Importer(ingestor: archive.ingestor).importFile(at: file.path) else { Issue.record("\(file.name)"); return }
            }
            let base = "http://127.0.0.1:\(port)/"
            let ct = try DICOMFile(path: try #require(files.first { $0.path.hasSuffix("CT_small.dcm") }).path, options: .headerOnly).dataSet
            let j2k = try DICOMFile(path: try #require(files.first { $0.path.hasSuffix("JPEG2000.dcm") }).path, options: .headerOnly).dataSet
            let study = try #require(ct.uid(.studyInstanceUID)), series = try #require(ct.uid(.seriesInstanceUID))

            // The study list, searched by name as a radiologist types it (lower case, a prefix).
            let list = try await Self.load(base + "#/?name=compressedsamples%5Ect1")
            #expect(list.console.isEmpty, "\(list.console)")
            #expect(list.dom.contains("data-state=\"ready\""))
            #expect(list.dom.contains("data-uid=\"\(study)\""))
            #expect(!list.dom.contains("data-uid=\"\(j2k.uid(.studyInstanceUID) ?? "-")\""), "only the study searched for")

            let page = try await Self.load(base + "#/study/\(study)")
            #expect(page.console.isEmpty, "\(page.console)")
            #expect(page.dom.contains("data-uid=\"\(series)\""))
            #expect(page.dom.contains("alt=\"series thumbnail\""))

            let viewer = try await Self.load(base + "#/viewer/\(study)/\(series)")
            #expect(viewer.console.isEmpty, "\(viewer.console)")
            #expect(viewer.dom.contains("data-loaded=\"true\""), "the frame was drawn and loaded")

            // JPEG 2000 is not drawn here: the page says so and offers the file.
            let compressed = try await Self.load(base + "#/viewer/\(j2k.uid(.studyInstanceUID) ?? "")/\(j2k.uid(.seriesInstanceUID) ?? "")")
            #expect(compressed.dom.contains("diagnostic viewer"))
            #expect(compressed.dom.contains("contentType=application/dicom"))

            try await Self.screenshot(base + "#/?name=compressed", "study-list", width: 1200, height: 800)
            try await Self.screenshot(base + "#/study/\(study)", "study", width: 1200, height: 800)
            try await Self.screenshot(base + "#/viewer/\(study)/\(series)", "viewer-phone", width: 390, height: 844)
            try await Self.screenshot(base + "#/viewer/\(j2k.uid(.studyInstanceUID) ?? "")/\(j2k.uid(.seriesInstanceUID) ?? "")", "viewer-jpeg2000",
                                      width: 800, height: 700)
        }
    }
}
