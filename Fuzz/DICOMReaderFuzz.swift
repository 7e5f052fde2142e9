// libFuzzer entry point for the Part 10 reader; built by Fuzz/run.sh together with the
// DICOM sources into one module. Any input must give a DICOMFile or a DICOMError: never a
// crash, a hang or an unbounded allocation. What reads strictly must write and read back
// to the same data set. The structure check ingest makes (`StructureCheck`) runs on every
// data set read, and on one read as ingest reads, large values skipped over.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for options in [ReadOptions.strict, .lenient, .headerOnly] {
        guard let file = try? DICOMFile(bytes: bytes, options: options) else { continue }
        _ = DumpFormatter().format(file)
        _ = StructureCheck.pixelProblem(file.dataSet, transferSyntax: file.transferSyntax)
        if let geometry = PixelGeometry(file.dataSet) { _ = (geometry.frameLength, geometry.totalLength) }
        _ = try? DICOMJSONEncoder().encode(file.dataSet).serialized()
        for element in file.dataSet {
            _ = try? element.strings(characterSet: file.dataSet.specificCharacterSet)
            _ = try? element.doubles()
        }
        if options.mode == .strict && !options.stopBeforePixelData {
            do {
                let reread = try DICOMFile(bytes: try file.serialized())
                if reread.dataSet != file.dataSet { fatalError("a strictly read data set changed on a round trip") }
            } catch {
                fatalError("a strictly read file could not be written and read back: \(error)")
            }
        }
    }
    // Ingest's read: whole, large values skipped over (as a deflated data set's are).
    if let skipping = try? DICOMFile(bytes: bytes, options: ReadOptions(bulkDataThreshold: 64, skipsBulkData: true)) {
        _ = StructureCheck.pixelProblem(skipping.dataSet, transferSyntax: skipping.transferSyntax)
    }
    return 0
}
