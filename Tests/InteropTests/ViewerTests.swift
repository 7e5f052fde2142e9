import Archive
import Continuity
import DICOM
import DICOMNetwork
import Foundation
import TestSupport
import Testing
import Web

/// The viewer as a radiologist reads from it during an outage, in headless Chromium on a
/// desktop (1366x768) and a phone (390x844): the patient banner, the series strip, window
/// and level by drag and by the modality's presets (none on colour images), zoom, cine
/// through a multi-frame ultrasound, a report read as text, the patient's other studies,
/// the study list newest first and searched by any part of a name — and, for every
/// signed-in user, a banner while the watched PACS (a real pynetdicom stand-in, watched by
/// the real PACSWatch) is down, gone once it is back. Screenshots in .build/ui-screenshots.
@Suite(.serialized) struct ViewerTests {
    static let makeReport = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/make_report.py").path

    /// The sum of the red channel of the drawn frame: it changes when the picture does.
    static let pixels = """
        (() => { const i = document.querySelector('.frame img'); const c = document.createElement('canvas');
          c.width = i.naturalWidth; c.height = i.naturalHeight; const x = c.getContext('2d'); x.drawImage(i, 0, 0);
          const d = x.getImageData(0, 0, c.width, c.height).data; let s = 0; for (let k = 0; k < d.length; k += 4) s += d[k]; return s; })()
        """
    static let loaded = "document.querySelector('.frame img[data-loaded=\"true\"]') !== null"
    static let noOverflow = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"

    static func drag(from: (Int, Int), to: (Int, Int)) -> [Any] {
        let event = { (type: String, point: (Int, Int)) in
            "f.dispatchEvent(new PointerEvent('\(type)', { clientX: \(point.0), clientY: \(point.1), pointerId: 7, bubbles: true }));"
        }
        return ["eval", "(() => { const f = document.querySelector('.frame'); " + event("pointerdown", from) + event("pointermove", to)
                + event("pointerup", to) + " return true; })()"]
    }

    static func signIn(_ base: String, _ login: Interop.WebLogin) -> [[Any]] {
        [["goto", base], ["wait", "document.body.dataset.state === 'signin'"], ["fill", "input[name=user]", login.user],
         ["fill", "input[name=password]", login.password], ["click", "button[type=submit]"], ["wait", "document.body.dataset.state === 'ready'"]]
    }

    @Test func aRadiologistReadsAStudyOnADesktopAndAPhone() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            Issue.record("chromium is not installed: Scripts/test.sh installs it")
            return
        }
        let corpus = try PydicomData.directory() + "/test_files/"
        let scratch = try RetrieveTests.temporaryDirectory("viewer")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try FileManager.default.createDirectory(atPath: BrowserTests.screenshots, withIntermediateDirectories: true)
        // The CT (given a birth date and sex), a report in its study, an older study of the same patient, a 30-frame ultrasound, a colour image.
        var ct = try DICOMFile(path: corpus + "CT_small.dcm")
        ct.dataSet[Tag(0x0010, 0x0030)] = DataElement(tag: Tag(0x0010, 0x0030), vr: .DA, strings: ["19700101"])
        ct.dataSet[Tag(0x0010, 0x0040)] = DataElement(tag: Tag(0x0010, 0x0040), vr: .CS, strings: ["F"])
        try ct.write(toPath: scratch + "/ct.dcm")
        let patientName = try #require(try ct.dataSet.string(.patientName)), patientID = try #require(try ct.dataSet.string(.patientID))
        let study = try #require(ct.dataSet.uid(.studyInstanceUID)), series = try #require(ct.dataSet.uid(.seriesInstanceUID))
        let prior = "1.2.826.0.1.3680043.10.55.1"
        for (tag, value) in [(Tag.studyInstanceUID, prior), (.seriesInstanceUID, "\(prior).1"), (.sopInstanceUID, "\(prior).1.1")] {
            ct.dataSet[tag] = DataElement(tag: tag, vr: .UI, strings: [value])
        }
        ct.dataSet[.studyDate] = DataElement(tag: .studyDate, vr: .DA, strings: ["20010101"])
        ct.fileMeta[.mediaStorageSOPInstanceUID] = DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, strings: ["\(prior).1.1"])
        try ct.write(toPath: scratch + "/prior.dcm")
        let report = try await Subprocess.run("python3", [Self.makeReport, scratch + "/report.dcm", patientName, patientID, study, "20040119"])
        try #require(report.status == 0, "\(report.errors)")
        let ultrasound = try DICOMFile(path: corpus + "examples_ybr_color.dcm", options: .headerOnly).dataSet
        let colour = try DICOMFile(path: corpus + "SC_rgb_jpeg_dcmtk.dcm", options: .headerOnly).dataSet

        let pacsDirectory = scratch + "/pacs"
        var pacs = try await PACSStandIn(directory: pacsDirectory)
        try await Interop.withDICOMweb { port, archive, login in
            for path in [scratch + "/ct.dcm", scratch + "/prior.dcm", scratch + "/report.dcm", corpus + "examples_ybr_color.dcm", corpus + "SC_rgb_jpeg_dcmtk.dcm"] {
                guard case .imported = await Importer(ingestor: archive.ingestor).importFile(at: path) else { Issue.record("\(path)"); return }
            }
            // The real watch, probing every second, two misses make an outage.
            let node = try #require(DICOMNode("PACS@127.0.0.1:\(pacs.port)"))
            let watch = PACSWatch(store: try SQLiteDowntimeStore(pool: archive.catalog.pool), options: .init(nodes: [node], callingAETitle: "LIFEBOAT", interval: .seconds(1), downAfter: 2,
                                                                          probeTimeout: .seconds(5)))
            let watching = Task { await watch.run() }
            defer { watching.cancel() }
            let base = "http://127.0.0.1:\(port)/"
            let shot = { (name: String, width: Int, height: Int) -> [Any] in ["screenshot", "\(BrowserTests.screenshots)/\(name).png", width, height] }
            let ctViewer = base + "#/viewer/\(study)/\(series)"
            let usViewer = base + "#/viewer/\(ultrasound.uid(.studyInstanceUID) ?? "")/\(ultrasound.uid(.seriesInstanceUID) ?? "")"
            let colourViewer = base + "#/viewer/\(colour.uid(.studyInstanceUID) ?? "")/\(colour.uid(.seriesInstanceUID) ?? "")"

            var steps = Self.signIn(base, login)
            // The list: newest first, a name found by a part from its middle; the banner hidden while the PACS answers.
            steps += BrowserTests.visit(base + "#/?name=ct1") + [
                ["eval", "[...document.querySelectorAll('tr.study')].map(r => r.dataset.uid).join(',')"],
                ["eval", "document.getElementById('notice').hidden"], shot("viewer-list", 1366, 768), shot("viewer-list-phone", 390, 844),
                ["eval", Self.noOverflow],
            ]
            // The study: banner, series (the report among them), the prior one click away.
            steps += BrowserTests.visit(base + "#/study/\(study)") + [
                ["eval", "document.querySelector('.banner').textContent"], ["eval", "document.querySelector('a.prior')?.getAttribute('href')"],
                ["eval", "document.querySelectorAll('.series').length"], shot("viewer-study-phone", 390, 844), ["eval", Self.noOverflow],
            ]
            // The CT: presets for CT, a window drag changes the picture, zoom, the strip.
            steps += BrowserTests.visit(ctViewer) + [["wait", Self.loaded], shot("viewer-ct", 1366, 768),
                ["eval", "[...document.querySelectorAll('button[data-preset]')].map(b => b.textContent).join(',')"],
                ["eval", Self.pixels], ["click", "button[data-mode=window]"], Self.drag(from: (300, 300), to: (380, 260)),
                ["wait", "document.querySelector('.frame img').src.includes('window=') && " + Self.loaded], ["eval", Self.pixels],
                ["click", "button[aria-label='zoom in']"], ["eval", "document.querySelector('.frame img').style.transform"],
                ["eval", "document.querySelectorAll('.strip-item').length + ',' + document.querySelector('a.study-link').getAttribute('href')"],
                shot("viewer-ct-phone", 390, 844), ["eval", Self.noOverflow], ["console"],
            ]
            // The ultrasound: 30 JPEG frames in cine.
            steps += BrowserTests.visit(usViewer) + [["wait", Self.loaded], ["eval", "document.querySelector('.frame img').dataset.index"],
                ["click", "button[data-action=play]"], ["wait", "Number(document.querySelector('.frame img').dataset.index) >= 4"],
                ["eval", "document.querySelector('button[data-action=play]').textContent"], shot("viewer-cine", 1366, 768), ["console"],
            ]
            // A colour image: no window mode, no presets.
            steps += BrowserTests.visit(colourViewer) + [["wait", Self.loaded],
                ["eval", "document.querySelectorAll('button[data-mode=window]').length + document.querySelectorAll('button[data-preset]').length"]]
            // The report, as text.
            steps += BrowserTests.visit(base + "#/study/\(study)") + [["click", "a.series[href^='#/report']"],
                ["wait", "document.querySelector('article.report') !== null"], ["eval", "document.querySelector('article.report').textContent"],
                shot("viewer-report-phone", 390, 844), ["eval", Self.noOverflow], ["console"]]
            let results = try await BrowserTests.browse(steps).filter { !(($0 as? String)?.hasPrefix(BrowserTests.screenshots) ?? false) }
            guard results.count == 22 else { Issue.record("the browser recorded \(results.count) results: \(results)"); return }
            #expect(results[0] as? String == "\(study),\(prior)", "newest first, found by a part of the name: \(results[0])")
            #expect(results[1] as? Bool == true, "no banner while the PACS answers")
            #expect(results[2] as? Bool == true, "the list fits a phone")
            let banner = results[3] as? String ?? ""
            #expect(banner.contains(patientID) && banner.contains("CompressedSamples CT1") && banner.contains("born 1970-01-01") && banner.contains("sex female") && banner.contains("study 2004-01-19"), "\(banner)")
            #expect(results[4] as? String == "#/study/\(prior)", "the prior study")
            #expect(results[5] as? Int == 2, "the CT series and the report")
            #expect(results[6] as? Bool == true, "the study page fits a phone")
            #expect((results[7] as? String)?.hasPrefix("Default,Soft tissue,Lung,Bone") == true, "CT presets: \(results[7])")
            let before = results[8] as? Int, after = results[10] as? Int
            #expect(before != nil && after != nil && before != after, "a window drag changes the picture: \(String(describing: before)) -> \(String(describing: after))")
            #expect((results[11] as? String)?.contains("scale(1.25)") == true, "\(results[11])")
            #expect(results[12] as? String == "2,#/study/\(study)", "the strip shows the study's series; the study (and priors) one click away")
            #expect(results[13] as? Bool == true, "the viewer fits a phone")
            #expect((results[14] as? [String])?.isEmpty == true, "\(results[14])")
            #expect(results[15] as? String == "1", "the ultrasound starts at its first frame")
            #expect(results[16] as? String == "Pause", "cine is playing")
            #expect((results[17] as? [String])?.isEmpty == true, "\(results[17])")
            #expect(results[18] as? Int == 0, "no window mode and no presets on a colour image")
            let text = results[19] as? String ?? ""
            #expect(text.contains("Radiology Report") && text.contains("Finding: No acute abnormality.") && text.contains("Length: 12 mm")
                    && text.contains("Impression: Normal study."), "\(text)")
            #expect(results[20] as? Bool == true, "the report fits a phone")
            #expect((results[21] as? [String])?.isEmpty == true, "\(results[21])")

            // The PACS goes down: the watch opens a downtime, every signed-in user sees the banner.
            pacs.stop()
            try await Polling.waitUntil(seconds: 60) { try await SQLiteDowntimeStore(pool: archive.catalog.pool).downtimes().contains { $0.endedAt == nil } }
            let down = try await BrowserTests.browse(Self.signIn(base, login) + BrowserTests.visit(base + "#/") + [
                ["eval", "document.getElementById('notice').hidden"], ["eval", "document.getElementById('notice').textContent"],
                shot("viewer-downtime", 1366, 768), shot("viewer-downtime-phone", 390, 844), ["eval", Self.noOverflow]])
                .filter { !(($0 as? String)?.hasPrefix(BrowserTests.screenshots) ?? false) }
            #expect(down.first as? Bool == false, "the banner is shown")
            #expect((down.dropFirst().first as? String)?.contains("PACS down since") == true
                    && (down.dropFirst().first as? String)?.contains("you are on the downtime archive") == true, "\(down)")
            #expect(down.last as? Bool == true)
            // It comes back: the banner goes.
            pacs = try await PACSStandIn(port: pacs.port, directory: pacsDirectory)
            defer { pacs.stop() }
            try await Polling.waitUntil(seconds: 60) { try await SQLiteDowntimeStore(pool: archive.catalog.pool).downtimes().allSatisfy { $0.endedAt != nil } }
            let back = try await BrowserTests.browse(Self.signIn(base, login) + BrowserTests.visit(base + "#/") + [["eval", "document.getElementById('notice').hidden"]])
            #expect(back.first as? Bool == true, "the banner is gone once the PACS answers")
        }
        pacs.stop()
    }
}
