import Codecs
import Foundation

// Decodes one compressed frame ROUNDS times through the codec layer and prints the median
// milliseconds per decode, so a script can set it beside the reference libraries' own.
//   CodecBenchmark SYNTAX-UID FRAME-FILE ROWS COLUMNS BITS-ALLOCATED BITS-STORED [ROUNDS]
let arguments = CommandLine.arguments
guard arguments.count >= 7, let rows = Int(arguments[3]), let columns = Int(arguments[4]), let bits = Int(arguments[5]),
      let stored = Int(arguments[6]), let bitstream = FileManager.default.contents(atPath: arguments[2]) else {
    FileHandle.standardError.write(Data("usage: CodecBenchmark SYNTAX-UID FRAME-FILE ROWS COLUMNS BITS-ALLOCATED BITS-STORED [ROUNDS]\n".utf8))
    exit(2)
}
let rounds = arguments.count > 7 ? Int(arguments[7]) ?? 50 : 50
let layout = FrameLayout(rows: rows, columns: columns, samplesPerPixel: 1, bitsAllocated: bits, bitsStored: stored, isSigned: false,
                         photometric: "MONOCHROME2")
let bytes = [UInt8](bitstream)
var times: [Double] = []
do {
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        let frame = try FrameDecoder.decode(bytes, transferSyntaxUID: arguments[1], layout: layout)
        let elapsed = ContinuousClock.now - start
        times.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15)
        precondition(frame.bytes.count == layout.frameLength)
    }
} catch {
    FileHandle.standardError.write(Data("decode failed: \(error)\n".utf8))
    exit(1)
}
print(String(format: "%.3f", times.sorted()[times.count / 2]))
