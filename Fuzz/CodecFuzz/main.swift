// A fuzz target for the C boundary of the codec layer: bitstreams of every family handed to
// DCMTK's IJG decoders, CharLS, OpenJPEG and the RLE decoder, with the image attributes
// they are decoded against. Built by Fuzz/run-codec.sh with `-sanitize=fuzzer -DFUZZING`,
// main hands control to libFuzzer; in an ordinary build it replays the files named on the
// command line.
//
// An input is a 9-byte header — syntax (one of `syntaxes`), rows and columns (16-bit, big
// endian), samples per pixel, bits allocated, bits stored, signedness, photometric — and the
// bitstream (Fuzz/make-codec-seeds.py writes real frames so).
import Codecs
import Foundation

let syntaxes = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
                "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
                "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.203", "1.2.840.10008.1.2.5"]
let photometrics = ["MONOCHROME2", "MONOCHROME1", "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT", "PALETTE COLOR"]

/// Every input must end in a frame of exactly the layout's length or a `CodecError`: never a
/// crash, a hang, or an allocation beyond the frame bound.
func fuzzOne(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count >= 9 else { return }
    let rows = Int(bytes[1]) << 8 | Int(bytes[2]), columns = Int(bytes[3]) << 8 | Int(bytes[4])
    // Small images keep each input fast; the bound on large ones has its own unit test.
    guard rows > 0, columns > 0, rows * columns <= 1 << 20 else { return }
    let layout = FrameLayout(rows: rows, columns: columns, samplesPerPixel: bytes[5] & 1 == 0 ? 1 : 3, bitsAllocated: bytes[6] & 1 == 0 ? 8 : 16,
                             bitsStored: max(1, Int(bytes[7]) % 17), isSigned: bytes[8] & 1 == 1,
                             photometric: photometrics[Int(bytes[8] >> 1) % photometrics.count])
    let syntax = syntaxes[Int(bytes[0]) % syntaxes.count]
    do {
        let frame = try FrameDecoder.decode(Array(bytes[9...]), transferSyntaxUID: syntax, layout: layout)
        guard frame.bytes.count == layout.frameLength else {
            fatalError("\(syntax): a \(layout.columns)x\(layout.rows) frame decoded to \(frame.bytes.count) bytes, not \(layout.frameLength)")
        }
    } catch {
        _ = error.description // a CodecError: the typed throw allows nothing else
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    fuzzOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
})
#else
let paths = CommandLine.arguments.dropFirst()
if paths.isEmpty {
    FileHandle.standardError.write(Data("usage: CodecFuzz FILE... (replays inputs; Fuzz/run-codec.sh fuzzes)\n".utf8))
    exit(2)
}
for path in paths {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("CodecFuzz: cannot read \(path)\n".utf8))
        exit(1)
    }
    data.withUnsafeBytes(fuzzOne)
    print("\(path): ok")
}
#endif
