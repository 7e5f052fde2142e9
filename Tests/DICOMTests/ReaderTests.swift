@testable import DICOM
import Testing

/// Reading hand-encoded bytes: every encoding, sequences, encapsulation, and every
/// way a stream can be malformed.
@Suite struct ReaderTests {
    static let explicitLE = "1.2.840.10008.1.2.1"
    static let implicitLE = "1.2.840.10008.1.2"
    static let explicitBE = "1.2.840.10008.1.2.2"

    @Test func explicitLittleEndianGoldenBytes() throws {
        // (0010,0010) PN "Doe^John", (0028,0010) US 512
        let body = Bytes.explicit(0x0010, 0x0010, "PN", Bytes.text("Doe^John")) + Bytes.explicit(0x0028, 0x0010, "US", [0x00, 0x02])
        let file = try DICOMFile(bytes: Bytes.part10(transferSyntax: Self.explicitLE, dataSet: body))
        #expect(file.transferSyntax == .explicitVRLittleEndian)
        #expect(try file.dataSet.personName(.patientName)?.alphabetic.familyName == "Doe")
        #expect(try file.dataSet.int(.rows) == 512)
        #expect(try file.serialized() == Bytes.part10(transferSyntax: Self.explicitLE, dataSet: body))
    }

    @Test func explicitBigEndianGoldenBytes() throws {
        // (0028,0010) US 512 big endian: 00 28 00 10 'U' 'S' 00 02 02 00
        let body: [UInt8] = [0x00, 0x28, 0x00, 0x10] + Bytes.text("US") + [0x00, 0x02, 0x02, 0x00]
            + [0x00, 0x28, 0x01, 0x06] + Bytes.text("FL") + [0x00, 0x04, 0x3F, 0x80, 0x00, 0x00] // FL 1.0
        let bytes = Bytes.part10(transferSyntax: Self.explicitBE, dataSet: body)
        let file = try DICOMFile(bytes: bytes)
        #expect(try file.dataSet.int(.rows) == 512)
        #expect(try file.dataSet.double(Tag(0x0028, 0x0106)) == 1.0)
        #expect(file.dataSet[.rows]?.bytes == [0x00, 0x02], "held little endian in memory")
        #expect(try file.serialized() == bytes)
    }

    @Test func implicitVRTakesVRFromTheDictionary() throws {
        let body = Bytes.implicit(0x0008, 0x0060, Bytes.text("CT")) + Bytes.implicit(0x0009, 0x0010, Bytes.text("ACME 1"))
            + Bytes.implicit(0x0009, 0x1001, [1, 2]) + Bytes.implicit(0x0028, 0x0103, [1, 0]) + Bytes.implicit(0x0028, 0x0106, [0xFF, 0xFF])
        let file = try DICOMFile(bytes: Bytes.part10(transferSyntax: Self.implicitLE, dataSet: body))
        #expect(file.dataSet[.modality]?.vr == .CS)
        #expect(file.dataSet[Tag(0x0009, 0x0010)]?.vr == .LO, "private creator (PS3.5 7.8.1)")
        #expect(file.dataSet[Tag(0x0009, 0x1001)]?.vr == .UN, "private data without a dictionary")
        // Smallest Image Pixel Value is "US or SS": signed when Pixel Representation is 1.
        #expect(file.dataSet[Tag(0x0028, 0x0106)]?.vr == .SS)
        #expect(try file.dataSet.int(Tag(0x0028, 0x0106)) == -1)
    }

    @Test func sequencesOfDefinedAndUndefinedLength() throws {
        let inner = Bytes.explicit(0x0008, 0x1150, "UI", Bytes.text("1.2\0"))
        let definedItem = Bytes.tag(0xFFFE, 0xE000) + Bytes.le32(UInt32(inner.count)) + inner
        let undefinedItem = Bytes.tag(0xFFFE, 0xE000) + Bytes.le32(Bytes.undefined) + inner + Bytes.tag(0xFFFE, 0xE00D) + Bytes.le32(0)
        let undefinedSequence = Bytes.tag(0x0008, 0x1140) + Bytes.text("SQ") + [0, 0] + Bytes.le32(Bytes.undefined)
            + definedItem + undefinedItem + Bytes.tag(0xFFFE, 0xE0DD) + Bytes.le32(0)
        let definedSequence = Bytes.explicit(0x0008, 0x1155 - 0x0044, "SQ", definedItem) // (0008,1111) ReferencedPerformedProcedureStepSequence
        let body = definedSequence + undefinedSequence
        let bytes = Bytes.part10(transferSyntax: Self.explicitLE, dataSet: body)
        let file = try DICOMFile(bytes: bytes)
        let items = try #require(file.dataSet[Tag(0x0008, 0x1140)]?.items)
        #expect(items.count == 2)
        #expect(items.map(\.hasUndefinedLength) == [false, true])
        #expect(items[1].dataSet.uid(Tag(0x0008, 0x1150)) == "1.2")
        #expect(file.dataSet[Tag(0x0008, 0x1111)]?.hasUndefinedLength == false)
        #expect(try file.serialized() == bytes)
    }

    @Test func encapsulatedPixelDataKeepsItsFragments() throws {
        let pixelData = Bytes.tag(0x7FE0, 0x0010) + Bytes.text("OB") + [0, 0] + Bytes.le32(Bytes.undefined)
            + Bytes.tag(0xFFFE, 0xE000) + Bytes.le32(4) + [0, 0, 0, 0]
            + Bytes.tag(0xFFFE, 0xE000) + Bytes.le32(6) + [0xFF, 0xD8, 0xFF, 0xFE, 0xDD, 0xE0] // holds delimiter-like bytes
            + Bytes.tag(0xFFFE, 0xE000) + Bytes.le32(2) + [0xFF, 0xD9]
            + Bytes.tag(0xFFFE, 0xE0DD) + Bytes.le32(0)
        let bytes = Bytes.part10(transferSyntax: "1.2.840.10008.1.2.4.50", dataSet: pixelData)
        let file = try DICOMFile(bytes: bytes)
        #expect(file.transferSyntax.isEncapsulated)
        guard case .encapsulated(let pixels)? = file.dataSet[.pixelData]?.value else {
            Issue.record("pixel data not encapsulated")
            return
        }
        #expect(pixels.basicOffsetTable == [0, 0, 0, 0])
        #expect(pixels.fragments == [.bytes([0xFF, 0xD8, 0xFF, 0xFE, 0xDD, 0xE0]), .bytes([0xFF, 0xD9])])
        #expect(try file.serialized() == bytes)
    }

    @Test func unknownVRWithUndefinedLengthIsAnImplicitLittleEndianSequence() throws {
        // PS3.5 6.2.2: UN of undefined length holds items in Implicit VR Little Endian.
        let inner = Bytes.implicit(0x0010, 0x0020, Bytes.text("ID42"))
        let un = Bytes.tag(0x0011, 0x1010) + Bytes.text("UN") + [0, 0] + Bytes.le32(Bytes.undefined)
            + Bytes.tag(0xFFFE, 0xE000) + Bytes.le32(UInt32(inner.count)) + inner + Bytes.tag(0xFFFE, 0xE0DD) + Bytes.le32(0)
        let bytes = Bytes.part10(transferSyntax: Self.explicitBE, dataSet: [])
        let explicit = Bytes.part10(transferSyntax: Self.explicitLE, dataSet: un)
        let file = try DICOMFile(bytes: explicit)
        #expect(try file.dataSet[Tag(0x0011, 0x1010)]?.items?.first?.dataSet.string(.patientID) == "ID42")
        #expect(try file.serialized() == explicit)
        _ = bytes
    }

    @Test func headerOnlyReadStopsBeforePixelData() throws {
        let body = Bytes.explicit(0x0028, 0x0010, "US", [0, 2]) + Bytes.explicit(0x7FE0, 0x0010, "OW", [1, 2, 3, 4])
        let bytes = Bytes.part10(transferSyntax: Self.explicitLE, dataSet: body)
        let file = try DICOMFile(bytes: bytes, options: .headerOnly)
        #expect(file.dataSet.tags == [.rows])
        #expect(file.pixelDataOffset == bytes.count - 16)
    }

    @Test func deflatedDataSetReadsAndWrites() throws {
        var dataSet = DataSet()
        dataSet[.patientName] = DataElement(tag: .patientName, vr: .PN, strings: ["Deflated^Test"])
        dataSet[.rows] = DataElement(tag: .rows, vr: .US, integers: [UInt16(64)])
        let file = DICOMFile(dataSet: dataSet, transferSyntax: .deflatedExplicitVRLittleEndian)
        let bytes = try file.serialized()
        #expect(!bytes.containsSubsequence(Bytes.text("Deflated^Test")), "the data set is compressed")
        var read = try DICOMFile(bytes: bytes)
        #expect(read.dataSet == dataSet)
        #expect(try read.serialized() == bytes, "unchanged: the compressed bytes as read")
        read.dataSet[.rows] = DataElement(tag: .rows, vr: .US, integers: [UInt16(65)])
        let changed = try DICOMFile(bytes: try read.serialized())
        #expect(try changed.dataSet.int(.rows) == 65, "changed: compressed anew")
    }

    // MARK: Errors

    @Test func missingPrefixIsRefusedStrictlyAndReadLeniently() throws {
        let body = Bytes.explicit(0x0008, 0x0060, "CS", Bytes.text("MR"))
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: body) }
        #expect(error?.code == .notPart10)
        #expect(error?.offset == 128)
        let file = try DICOMFile(bytes: body, options: .lenient)
        #expect(file.preamble == nil)
        #expect(try file.dataSet.string(.modality) == "MR")
        #expect(file.transferSyntax == .explicitVRLittleEndian)
    }

    @Test func lengthPastTheEndNamesOffsetAndTag() throws {
        var bytes = Bytes.part10(transferSyntax: Self.explicitLE, dataSet: Bytes.explicit(0x0010, 0x0010, "PN", Bytes.text("Doe^John")))
        bytes.removeLast(3)
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: bytes) }
        #expect(error?.code == .lengthPastEnd)
        #expect(error?.tag == .patientName)
        #expect(error?.offset == bytes.count - 5)
        // Leniently, the value is kept as far as it goes.
        let file = try DICOMFile(bytes: bytes, options: .lenient)
        #expect(file.dataSet[.patientName]?.bytes == Bytes.text("Doe^J"))
    }

    @Test func hugeLengthDoesNotAllocate() throws {
        // A 4 GB length in a 200-byte stream fails at once, without a 4 GB allocation.
        let body = Bytes.tag(0x7FE0, 0x0010) + Bytes.text("OB") + [0, 0] + Bytes.le32(0xFFFF_FFF0)
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: Bytes.part10(transferSyntax: Self.explicitLE, dataSet: body)) }
        #expect(error?.code == .lengthPastEnd)
        #expect(error?.tag == .pixelData)
    }

    @Test func truncatedHeader() throws {
        let bytes = Bytes.part10(transferSyntax: Self.explicitLE, dataSet: Bytes.tag(0x0010, 0x0010) + Bytes.text("P"))
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: bytes) }
        #expect(error?.code == .truncated)
        #expect(error?.tag == .patientName)
    }

    @Test func invalidVRIsRefusedStrictlyAndReadAsImplicitLeniently() throws {
        let body = Bytes.tag(0x0010, 0x0010) + Bytes.le32(4) + Bytes.text("Doe^")
        let bytes = Bytes.part10(transferSyntax: Self.explicitLE, dataSet: Bytes.explicit(0x0008, 0x0060, "CS", Bytes.text("CT")) + body)
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: bytes) }
        #expect(error?.code == .invalidVR)
        #expect(error?.tag == .patientName)
        #expect(error?.offset == bytes.count - 8, "the offset of the two bytes that are not a VR")
        let file = try DICOMFile(bytes: bytes, options: .lenient)
        #expect(try file.dataSet.string(.patientName) == "Doe^")
        #expect(file.dataSet[.patientName]?.vr == .PN)
    }

    @Test func itemOverrunningItsSequenceIsRefused() throws {
        let inner = Bytes.explicit(0x0008, 0x1150, "UI", Bytes.text("1.2\0"))
        let item = Bytes.tag(0xFFFE, 0xE000) + Bytes.le32(UInt32(inner.count + 100)) + inner
        let body = Bytes.explicit(0x0008, 0x1140, "SQ", item) + [UInt8](repeating: 0, count: 100)
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: Bytes.part10(transferSyntax: Self.explicitLE, dataSet: body)) }
        #expect(error?.code == .lengthPastEnd)
        #expect(error?.tag == Tag(0x0008, 0x1140))
    }

    @Test func wrongTagInSequenceIsRefused() throws {
        let body = Bytes.tag(0x0008, 0x1140) + Bytes.text("SQ") + [0, 0] + Bytes.le32(Bytes.undefined)
            + Bytes.explicit(0x0008, 0x1150, "UI", Bytes.text("1.2\0"))
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: Bytes.part10(transferSyntax: Self.explicitLE, dataSet: body)) }
        #expect(error?.code == .malformedSequence)
        #expect(error?.message.contains("expected an item") == true)
    }

    @Test func strayDelimiterIsRefused() throws {
        let body = Bytes.tag(0xFFFE, 0xE0DD) + Bytes.le32(0)
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: Bytes.part10(transferSyntax: Self.explicitLE, dataSet: body)) }
        #expect(error?.code == .malformedSequence)
    }

    @Test func undefinedLengthFragmentIsRefused() throws {
        let body = Bytes.tag(0x7FE0, 0x0010) + Bytes.text("OB") + [0, 0] + Bytes.le32(Bytes.undefined)
            + Bytes.tag(0xFFFE, 0xE000) + Bytes.le32(Bytes.undefined)
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: Bytes.part10(transferSyntax: "1.2.840.10008.1.2.4.50", dataSet: body)) }
        #expect(error?.code == .malformedEncapsulation)
    }

    @Test func undefinedLengthOnAStringIsRefused() throws {
        let body = Bytes.tag(0x0010, 0x0010) + Bytes.text("UT") + [0, 0] + Bytes.le32(Bytes.undefined)
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: Bytes.part10(transferSyntax: Self.explicitLE, dataSet: body)) }
        #expect(error?.code == .invalidLength)
    }

    @Test func nestingDepthIsBounded() throws {
        // 100 sequences inside each other, each of undefined length.
        var body: [UInt8] = []
        for _ in 0..<100 {
            body += Bytes.tag(0x0008, 0x1140) + Bytes.text("SQ") + [0, 0] + Bytes.le32(Bytes.undefined) + Bytes.tag(0xFFFE, 0xE000) + Bytes.le32(Bytes.undefined)
        }
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: Bytes.part10(transferSyntax: Self.explicitLE, dataSet: body)) }
        #expect(error?.code == .nestingTooDeep)
    }

    @Test func unknownTransferSyntaxIsRefusedStrictly() throws {
        let bytes = Bytes.part10(transferSyntax: "1.2.3.4.5", dataSet: Bytes.explicit(0x0008, 0x0060, "CS", Bytes.text("CT")))
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: bytes) }
        #expect(error?.code == .unsupportedTransferSyntax)
        #expect(try DICOMFile(bytes: bytes, options: .lenient).dataSet.string(.modality) == "CT")
    }

    @Test func corruptDeflateStreamIsADeflateError() throws {
        let bytes = Bytes.part10(transferSyntax: "1.2.840.10008.1.2.1.99", dataSet: [0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x12])
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: bytes) }
        #expect(error?.code == .deflate || error?.code == .truncated)
    }

    @Test func deflateBombIsRefused() throws {
        // 8 MB of zeros in a value deflates to a few KB; with a 1 MB limit it is refused.
        var dataSet = DataSet()
        dataSet[Tag(0x0042, 0x0011)] = DataElement(tag: Tag(0x0042, 0x0011), vr: .OB, bytes: [UInt8](repeating: 0, count: 8 << 20))
        let bytes = try DICOMFile(dataSet: dataSet, transferSyntax: .deflatedExplicitVRLittleEndian).serialized()
        #expect(bytes.count < 64 << 10)
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: bytes, options: ReadOptions(maximumInflatedLength: 1 << 20)) }
        #expect(error?.code == .inflatedTooLarge)
        #expect(try DICOMFile(bytes: bytes).dataSet == dataSet, "within the default limit")
    }

    @Test func missingFileIsAnIOError() throws {
        let error = #expect(throws: DICOMError.self) { try DICOMFile(path: "/nonexistent/file.dcm") }
        #expect(error?.code == .io)
        #expect(error?.message.contains("/nonexistent/file.dcm") == true)
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
