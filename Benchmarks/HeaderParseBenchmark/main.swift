// Header-only parse rate of 512x512 CT files: Lifeboat's DICOM library side by side with
// pydicom's dcmread(stop_before_pixels=True), on the same files, in one run.
//
//   swift run -c release HeaderParseBenchmark [--files N] [--rounds R] [--skip-pydicom]
//
// The files are made from pydicom's CT_small.dcm, enlarged to 512x512 with a new
// SOP Instance UID each. Each side's best round counts; the ratio is printed.
import DICOM
import Foundation

func argument(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let number = Int(arguments[index + 1]) else { return value }
    return number
}

func python(_ script: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

let fileCount = argument("--files", default: 500)
let rounds = argument("--rounds", default: 5)

let template = try python("import pydicom.data, os; print(os.path.join(os.path.dirname(pydicom.data.__file__), 'test_files', 'CT_small.dcm'))", [])
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-header-bench-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

var ct = try DICOMFile(path: template)
ct.dataSet[.rows] = DataElement(tag: .rows, vr: .US, integers: [UInt16(512)])
ct.dataSet[.columns] = DataElement(tag: .columns, vr: .US, integers: [UInt16(512)])
ct.dataSet[.pixelData] = DataElement(tag: .pixelData, vr: .OW, bytes: (0..<(512 * 512 * 2)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
var paths: [String] = []
for index in 0..<fileCount {
    let uid = "1.2.826.0.1.3680043.9.7433.99.\(index)"
    ct.dataSet[.sopInstanceUID] = DataElement(tag: .sopInstanceUID, vr: .UI, strings: [uid])
    ct.fileMeta[.mediaStorageSOPInstanceUID] = DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, strings: [uid])
    let path = directory.appendingPathComponent("CT\(index).dcm").path
    try ct.write(toPath: path)
    paths.append(path)
}
let size = (try FileManager.default.attributesOfItem(atPath: paths[0])[.size] as? Int) ?? 0
print("\(fileCount) CT files of \(size) bytes (512x512, 16 bits), best of \(rounds) rounds")

var best = Double.infinity
var elements = 0
for _ in 0..<rounds {
    let start = DispatchTime.now().uptimeNanoseconds
    elements = 0
    for path in paths {
        let file = try DICOMFile.readHeader(path: path)
        elements += file.dataSet.count
    }
    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}
let ours = Double(fileCount) / best
print(String(format: "lifeboat: %9.0f files/s  (%.1f µs a file, %d elements a file)", ours, best / Double(fileCount) * 1e6, elements / fileCount))

if CommandLine.arguments.contains("--skip-pydicom") { exit(0) }

let pydicomScript = """
import sys, time, pydicom
paths = sys.argv[2:]
best = float('inf')
for _ in range(int(sys.argv[1])):
    start = time.perf_counter()
    for path in paths:
        pydicom.dcmread(path, stop_before_pixels=True)
    best = min(best, time.perf_counter() - start)
print(len(paths) / best)
"""
let theirs = Double(try python(pydicomScript, [String(rounds)] + paths)) ?? .nan
print(String(format: "pydicom:  %9.0f files/s  (%.1f µs a file)", theirs, 1e6 / theirs))
print(String(format: "ratio:    %9.1fx pydicom's rate (goal: at least 20x)", ours / theirs))
