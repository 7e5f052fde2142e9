@testable import DICOM
import PropertyBased
import Testing

/// Random data sets survive write-then-read in every transfer syntax.
@Suite struct PropertyTests {
    static let syntaxes: [TransferSyntax] = [
        .implicitVRLittleEndian, .explicitVRLittleEndian, .explicitVRBigEndian, .deflatedExplicitVRLittleEndian, .jpegBaseline,
    ]

    @Test func randomDataSetsRoundTripInEveryTransferSyntax() async {
        await propertyCheck(count: 300, input: Gen.uint64(), Gen.int(in: 0..<Self.syntaxes.count)) { seed, index in
            let syntax = Self.syntaxes[index]
            var random = SplitMix64(seed: seed)
            let dataSet = RandomDataSet.make(using: &random, depth: 0, encapsulated: syntax.isEncapsulated)
            let file = DICOMFile(dataSet: dataSet, transferSyntax: syntax)
            do {
                let bytes = try file.serialized()
                let read = try DICOMFile(bytes: bytes)
                #expect(read.dataSet == dataSet, "seed \(seed), \(syntax)")
                #expect(try read.serialized() == bytes, "seed \(seed), \(syntax)")
            } catch {
                Issue.record("seed \(seed), \(syntax): \(error)")
            }
        }
    }
}

/// A reproducible generator, so a failing seed can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random data sets made of standard attributes with their own VR (so implicit VR
/// finds the same VR in the dictionary), private blocks, nested sequences and pixel data.
enum RandomDataSet {
    static let leaves: [DictionaryEntry] = DataDictionary.entries.filter {
        $0.vrs.count == 1 && $0.vr != .SQ && !$0.tag.isGroupLength && ![0x0000, 0x0002, 0x7FE0, 0xFFFE, 0xFFFC].contains($0.tag.group)
    }
    static let sequences: [DictionaryEntry] = DataDictionary.entries.filter { $0.vr == .SQ }

    static func make(using random: inout SplitMix64, depth: Int, encapsulated: Bool) -> DataSet {
        var dataSet = DataSet()
        for _ in 0..<Int.random(in: 0...12, using: &random) {
            let entry = leaves.randomElement(using: &random)!
            dataSet[entry.tag] = DataElement(tag: entry.tag, vr: entry.vr!, bytes: value(for: entry.vr!, using: &random))
        }
        if depth < 3 {
            for _ in 0..<Int.random(in: 0...2, using: &random) {
                let entry = sequences.randomElement(using: &random)!
                let items = (0..<Int.random(in: 0...3, using: &random)).map { _ in
                    Item(dataSet: make(using: &random, depth: depth + 1, encapsulated: false), hasUndefinedLength: Bool.random(using: &random))
                }
                dataSet[entry.tag] = DataElement(tag: entry.tag, items: items, hasUndefinedLength: Bool.random(using: &random))
            }
        }
        if Bool.random(using: &random) {
            let group = UInt16.random(in: 0x0009...0x0FFF, using: &random) | 1
            dataSet[Tag(group, 0x0010)] = DataElement(tag: Tag(group, 0x0010), vr: .LO, strings: ["LIFEBOAT TEST"])
            dataSet[Tag(group, 0x1001)] = DataElement(tag: Tag(group, 0x1001), vr: .UN, bytes: value(for: .OB, using: &random))
        }
        if depth == 0 && Bool.random(using: &random) {
            if encapsulated {
                let fragments = (0..<Int.random(in: 1...3, using: &random)).map { _ in EncapsulatedPixelData.Fragment.bytes(value(for: .OB, using: &random)) }
                dataSet[.pixelData] = DataElement(tag: .pixelData, vr: .OB, value: .encapsulated(EncapsulatedPixelData(fragments: fragments)), hasUndefinedLength: true)
            } else {
                dataSet[.pixelData] = DataElement(tag: .pixelData, vr: .OW, bytes: value(for: .OW, using: &random))
            }
        }
        return dataSet
    }

    /// A random value of a VR, of valid length (a whole number of numbers, even overall).
    static func value(for vr: VR, using random: inout SplitMix64) -> [UInt8] {
        if vr.isString {
            let alphabet: [UInt8] = vr == .UI ? Array("0123456789.".utf8) : Array("ABCXYZ abc0189^=-.\\".utf8)
            var bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            if bytes.count % 2 == 1 { bytes.append(vr.paddingByte) }
            return bytes
        }
        let size = max(vr.byteSwapSize, 2)
        let count = Int.random(in: 0...16, using: &random) * size
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }
}
