@testable import DICOM
import Foundation
import Testing

/// Typed values of every VR, character sets, names, dates and times (PS3.5 6).
@Suite struct ValueTests {
    @Test func everyVRHasItsHeaderForm() {
        #expect(VR.allCases.count == 34)
        let long: Set<VR> = [.OB, .OD, .OF, .OL, .OV, .OW, .SQ, .SV, .UC, .UN, .UR, .UT, .UV]
        for vr in VR.allCases {
            #expect(vr.hasLongLength == long.contains(vr), "\(vr)")
            let (a, b) = vr.bytes
            #expect(VR(byte0: a, byte1: b) == vr)
        }
        #expect(VR(byte0: 0x41, byte1: 0x41) == nil)
    }

    @Test(arguments: [TransferSyntax.explicitVRLittleEndian, .explicitVRBigEndian, .implicitVRLittleEndian])
    func everyVRSurvivesEachEncoding(syntax: TransferSyntax) throws {
        var dataSet = DataSet()
        func add(_ tag: Tag, _ vr: VR, _ bytes: [UInt8]) { dataSet[tag] = DataElement(tag: tag, vr: vr, bytes: bytes) }
        // One standard tag per VR, so that implicit VR finds the same VR in the dictionary.
        add(Tag(0x0008, 0x0005), .CS, Array("ISO_IR 192".utf8))
        add(Tag(0x0008, 0x0020), .DA, Array("20240229".utf8))
        add(Tag(0x0008, 0x0030), .TM, Array("235959.123456 ".utf8))
        add(Tag(0x0008, 0x002A), .DT, Array("20240229235959.5+0100".utf8))
        add(Tag(0x0008, 0x0054), .AE, Array("ARCHIVE ".utf8))
        add(Tag(0x0008, 0x0090), .PN, Array("Müller^Jürgen".utf8))
        add(Tag(0x0008, 0x1030), .LO, Array("Thorax \\ Abdomen ".utf8))
        add(Tag(0x0008, 0x0050), .SH, Array("ACC-1 ".utf8))
        add(Tag(0x0010, 0x1010), .AS, Array("045Y".utf8))
        add(Tag(0x0010, 0x4000), .LT, Array("  indented\\kept ".utf8))
        add(Tag(0x0018, 0x1020), .LO, Array("v1\\v2".utf8))
        add(Tag(0x0018, 0x0050), .DS, Array("2.5 ".utf8))
        add(Tag(0x0020, 0x0013), .IS, Array("-12 ".utf8))
        add(Tag(0x0020, 0x000D), .UI, Array("1.2.840.99\0".utf8))
        add(Tag(0x0028, 0x0010), .US, [0x00, 0x02])
        add(Tag(0x0028, 0x0106), .US, [0x10, 0x00])
        add(Tag(0x0018, 0x6020), .SL, [0xFE, 0xFF, 0xFF, 0xFF])
        add(Tag(0x0018, 0x9219), .SS, [0xFF, 0xFF])
        add(Tag(0x0028, 0x0008), .IS, Array("1 ".utf8))
        add(Tag(0x0018, 0x6024), .US, [1, 0])
        add(Tag(0x0018, 0x1310), .US, [1, 0, 2, 0, 3, 0, 4, 0])
        add(Tag(0x0028, 0x9001), .UL, [0x78, 0x56, 0x34, 0x12])
        add(Tag(0x0018, 0x9087), .FD, Array(withUnsafeBytes(of: (1.5).bitPattern.littleEndian, Array.init)))
        add(Tag(0x0018, 0x9089), .FD, Array(withUnsafeBytes(of: (-0.25).bitPattern.littleEndian, Array.init)) + Array(withUnsafeBytes(of: (3.0).bitPattern.littleEndian, Array.init)))
        add(Tag(0x0028, 0x1052), .DS, Array("-1024".utf8))
        add(Tag(0x0040, 0xA132), .UL, [1, 0, 0, 0])
        add(Tag(0x0020, 0x9165), .AT, [0x28, 0x00, 0x10, 0x00])
        add(Tag(0x0008, 0x0119), .UC, Array("long code value ".utf8))
        add(Tag(0x0008, 0x0120), .UR, Array("http://example.org/a ".utf8))
        add(Tag(0x0040, 0xA160), .UT, Array("free text\\with backslash".utf8))
        add(Tag(0x0042, 0x0011), .OB, [1, 2, 3, 0])
        add(Tag(0x0066, 0x0040), .OL, [1, 2, 3, 4, 5, 6, 7, 8])
        add(Tag(0x0066, 0x0016), .OF, Array(withUnsafeBytes(of: Float(2.5).bitPattern.littleEndian, Array.init)))
        add(Tag(0x0066, 0x0023), .OW, [1, 2, 3, 4])
        add(Tag(0x0066, 0x0022), .OD, Array(withUnsafeBytes(of: (9.75).bitPattern.littleEndian, Array.init)))
        add(Tag(0x0072, 0x0081), .OV, [1, 2, 3, 4, 5, 6, 7, 8])
        add(Tag(0x0072, 0x0082), .SV, Array(withUnsafeBytes(of: Int64(-5).littleEndian, Array.init)))
        add(Tag(0x0072, 0x0083), .UV, Array(withUnsafeBytes(of: UInt64(1) << 40, Array.init)))
        add(Tag(0x0018, 0x9808), .CS, Array("A \\B ".utf8))
        add(Tag(0x0008, 0x0081), .ST, Array(" 1 Main St\\Springfield ".utf8))
        add(Tag(0x0010, 0x9431), .FL, Array(withUnsafeBytes(of: Float(-1.5).bitPattern.littleEndian, Array.init)))
        add(Tag(0x0029, 0x0010), .LO, Array("PRIVATE ".utf8))
        add(Tag(0x0029, 0x1001), .UN, [9, 8, 7, 6])

        let vrs = Set(dataSet.elements.map(\.vr))
        #expect(vrs.count == 33, "every VR but SQ, which the sequence tests cover; missing: \(Set(VR.allCases).subtracting(vrs))")

        let file = DICOMFile(dataSet: dataSet, transferSyntax: syntax)
        let bytes = try file.serialized()
        let read = try DICOMFile(bytes: bytes)
        #expect(read.dataSet == dataSet, "\(syntax)")
        #expect(try read.serialized() == bytes)

        let values = read.dataSet
        #expect(try values.string(Tag(0x0008, 0x0090)) == "Müller^Jürgen")
        #expect(try values.strings(Tag(0x0008, 0x1030)) == ["Thorax", "Abdomen"])
        #expect(try values.string(Tag(0x0010, 0x4000)) == "  indented\\kept", "LT keeps leading spaces and backslashes")
        #expect(try values.strings(Tag(0x0040, 0xA160)) == ["free text\\with backslash"])
        #expect(try values.double(Tag(0x0018, 0x0050)) == 2.5)
        #expect(try values.int(Tag(0x0020, 0x0013)) == -12)
        #expect(values.uid(Tag(0x0020, 0x000D)) == "1.2.840.99")
        #expect(try values.integers(Tag(0x0018, 0x1310)) == [1, 2, 3, 4])
        #expect(try values.int(Tag(0x0028, 0x9001)) == 0x1234_5678)
        #expect(try values.int(Tag(0x0018, 0x6020)) == -2)
        #expect(try values.int(Tag(0x0018, 0x9219)) == -1)
        #expect(try values.doubles(Tag(0x0018, 0x9089)) == [-0.25, 3.0])
        #expect(try values[Tag(0x0066, 0x0016)]?.doubles() == [2.5])
        #expect(try values[Tag(0x0066, 0x0022)]?.doubles() == [9.75])
        #expect(try values.int(Tag(0x0072, 0x0082)) == -5)
        #expect(try values.int(Tag(0x0072, 0x0083)) == 1 << 40)
        #expect(try values.attributeTags(Tag(0x0020, 0x9165)) == [.rows])
        #expect(try values.date(.studyDate)?.description == "20240229")
        #expect(try values.time(Tag(0x0008, 0x0030))?.microsecond == 123_456)
        #expect(try values.dateTime(Tag(0x0008, 0x002A))?.utcOffsetMinutes == 60)
        #expect(try values.strings(Tag(0x0018, 0x9808)) == ["A", "B"])
        #expect(try values.strings(Tag(0x0008, 0x0081)) == [" 1 Main St\\Springfield"], "ST: one value, leading space kept")
        #expect(try values.double(Tag(0x0010, 0x9431)) == -1.5)
    }

    @Test func characterSets() throws {
        let latin1 = SpecificCharacterSet(terms: ["ISO_IR 100"])
        #expect(try latin1.decode([0x42, 0x75, 0x63, 0x5E, 0x4A, 0xE9, 0x72, 0xF4, 0x6D, 0x65], vr: .PN) == "Buc^Jérôme")
        #expect(try SpecificCharacterSet.utf8.decode(Array("Wang^XiaoDong=王^小東".utf8), vr: .PN) == "Wang^XiaoDong=王^小東")
        #expect(try SpecificCharacterSet(terms: ["ISO_IR 144"]).decode([0xBB, 0xEE, 0xDA, 0xE8, 0xD8, 0xDD], vr: .PN) == "Люкшин")
        #expect(try SpecificCharacterSet(terms: ["ISO_IR 126"]).decode([0xC4, 0xE9, 0xEF, 0xED, 0xF5, 0xF3, 0xE9, 0xEF, 0xF2], vr: .PN) == "Διονυσιος")
        // ASCII VRs are not decoded with the character set.
        #expect(try SpecificCharacterSet(terms: ["ISO_IR 192"]).decode(Array("1.2.3".utf8), vr: .UI) == "1.2.3")

        // PS3.5 H.3.1: Japanese with ISO 2022 IR 87 — "Yamada^Tarou=山田^太郎=やまだ^たろう".
        let japanese = SpecificCharacterSet(terms: ["", "ISO 2022 IR 87"])
        let bytes: [UInt8] = Array("Yamada^Tarou=".utf8) + [0x1B, 0x24, 0x42, 0x3B, 0x33, 0x45, 0x44, 0x1B, 0x28, 0x42, 0x5E,
            0x1B, 0x24, 0x42, 0x42, 0x40, 0x4F, 0x3A, 0x1B, 0x28, 0x42, 0x3D, 0x1B, 0x24, 0x42, 0x24, 0x64, 0x24, 0x5E, 0x24, 0x40,
            0x1B, 0x28, 0x42, 0x5E, 0x1B, 0x24, 0x42, 0x24, 0x3F, 0x24, 0x6D, 0x24, 0x26, 0x1B, 0x28, 0x42]
        #expect(try japanese.decode(bytes, vr: .PN) == "Yamada^Tarou=山田^太郎=やまだ^たろう")

        // PS3.5 I.2: Korean with ISO 2022 IR 149 — "Hong^Gildong=洪^吉洞=홍^길동".
        let korean = SpecificCharacterSet(terms: ["", "ISO 2022 IR 149"])
        let koreanBytes: [UInt8] = Array("Hong^Gildong=".utf8) + [0x1B, 0x24, 0x29, 0x43, 0xFB, 0xF3, 0x5E, 0x1B, 0x24, 0x29, 0x43,
            0xD1, 0xCE, 0xD4, 0xD7, 0x3D, 0x1B, 0x24, 0x29, 0x43, 0xC8, 0xAB, 0x5E, 0x1B, 0x24, 0x29, 0x43, 0xB1, 0xE6, 0xB5, 0xBF]
        #expect(try korean.decode(koreanBytes, vr: .PN) == "Hong^Gildong=洪^吉洞=홍^길동")

        let unknown = #expect(throws: DICOMValueError.self) { try SpecificCharacterSet(terms: ["ISO_IR 999"]).decode([0x41], vr: .LO) }
        #expect(unknown?.code == .unsupportedCharacterSet)
        let badUTF8 = #expect(throws: DICOMValueError.self) { try SpecificCharacterSet.utf8.decode([0xC3, 0x28], vr: .LO) }
        #expect(badUTF8?.code == .undecodable)
    }

    @Test func sequenceItemsInheritTheCharacterSet() throws {
        var item = DataSet()
        item[.patientName] = DataElement(tag: .patientName, vr: .PN, bytes: [0x4A, 0xE9, 0x72, 0xF4, 0x6D, 0x65])
        var dataSet = DataSet()
        dataSet[.specificCharacterSet] = DataElement(tag: .specificCharacterSet, vr: .CS, strings: ["ISO_IR 100"])
        dataSet[Tag(0x0008, 0x1140)] = DataElement(tag: Tag(0x0008, 0x1140), items: [Item(dataSet: item)])
        let nested = try #require(dataSet[Tag(0x0008, 0x1140)]?.items?.first?.dataSet)
        #expect(try nested.string(.patientName, inherited: dataSet.specificCharacterSet) == "Jérôme")
    }

    @Test func invalidValuesAreTypedErrors() throws {
        let badIS = DataElement(tag: Tag(0x0020, 0x0013), vr: .IS, bytes: Array("1A".utf8))
        #expect((#expect(throws: DICOMValueError.self) { try badIS.integers() })?.code == .invalidValue)
        let badDS = DataElement(tag: Tag(0x0018, 0x0050), vr: .DS, bytes: Array("2,5 ".utf8))
        #expect((#expect(throws: DICOMValueError.self) { try badDS.doubles() })?.code == .invalidValue)
        let oddUS = DataElement(tag: .rows, vr: .US, bytes: [1, 2, 3])
        #expect((#expect(throws: DICOMValueError.self) { try oddUS.integers() })?.code == .invalidLength)
        let badDate = DataElement(tag: .studyDate, vr: .DA, bytes: Array("20230230".utf8))
        #expect((#expect(throws: DICOMValueError.self) { try badDate.dates() })?.code == .invalidValue)
        let error = #expect(throws: DICOMValueError.self) { try badIS.integers() }
        #expect(error?.description.contains("(0020,0013) InstanceNumber") == true)
    }

    @Test func unknownVRElementsOfStandardTagsReadWithTheDictionaryVR() throws {
        let element = DataElement(tag: .rows, vr: .UN, bytes: [0x00, 0x02])
        #expect(element.valueVR == .US)
        #expect(try element.integers() == [512])
    }

    @Test func personNames() {
        let name = PersonName("Yamada^Tarou=山田^太郎=やまだ^たろう")
        #expect(name.alphabetic.familyName == "Yamada")
        #expect(name.ideographic.givenName == "太郎")
        #expect(name.phonetic.familyName == "やまだ")
        #expect(name.description == "Yamada^Tarou=山田^太郎=やまだ^たろう")
        let full = PersonName("Adams^John Robert Quincy^^Rev.^B.A. M.Div.")
        #expect(full.alphabetic.givenName == "John Robert Quincy")
        #expect(full.alphabetic.namePrefix == "Rev.")
        #expect(full.alphabetic.nameSuffix == "B.A. M.Div.")
        #expect(PersonName("Doe^John^^^=").description == "Doe^John")
    }

    @Test func datesAndTimes() {
        #expect(DICOMDate("20240229") != nil)
        #expect(DICOMDate("20230229") == nil)
        #expect(DICOMDate("1993.08.22")?.description == "19930822", "ACR-NEMA form")
        #expect(DICOMDate("2024-02-29") == nil)
        #expect(DICOMTime("07")?.minute == nil)
        #expect(DICOMTime("0730")?.minute == 30)
        #expect(DICOMTime("073015.5")?.microsecond == 500_000)
        #expect(DICOMTime("073015.5")?.description == "073015.5")
        #expect(DICOMTime("07:30:15")?.second == 15, "ACR-NEMA form")
        #expect(DICOMTime("2500") == nil)
        #expect(DICOMTime("0730.5") == nil)
        let moment = DICOMDateTime("20240229235959.000001-0500")
        #expect(moment?.time?.microsecond == 1)
        #expect(moment?.utcOffsetMinutes == -300)
        #expect(moment?.description == "20240229235959.000001-0500")
        #expect(DICOMDateTime("2024")?.month == nil)
        #expect(DICOMDateTime("202413") == nil)
        let utc = DICOMDateTime("19700101000000+0000")?.date()
        #expect(utc == Date(timeIntervalSince1970: 0))
    }

    @Test func dictionaryLookups() {
        let name = DataDictionary.entry(for: .patientName)
        #expect(name?.keyword == "PatientName")
        #expect(name?.vr == .PN)
        #expect(name?.name == "Patient's Name")
        #expect(Tag(keyword: "StudyInstanceUID") == .studyInstanceUID)
        #expect(DataDictionary.entry(for: Tag(0x6002, 0x3000))?.keyword == "OverlayData", "repeating group 60xx")
        #expect(DataDictionary.entry(for: Tag(0x7FE0, 0x0010))?.vrs == [.OB, .OW])
        #expect(DataDictionary.entry(for: Tag(0x0008, 0x0001))?.isRetired == true)
        #expect(DataDictionary.entries.count > 4500)
        #expect(UIDRegistry.entry(for: "1.2.840.10008.5.1.4.1.1.2")?.keyword == "CTImageStorage")
        #expect(TransferSyntax(uid: "1.2.840.10008.1.2.4.50")?.isEncapsulated == true)
        #expect(TransferSyntax(uid: "1.2.840.10008.1.2.2")?.isBigEndian == true)
        #expect(TransferSyntax(uid: "1.2.3") == nil)
        #expect(Tag(hexString: "(0010,0010)") == .patientName)
        #expect(Tag(hexString: "7FE00010") == .pixelData)
        #expect(Tag(0x0009, 0x0010).isPrivateCreator)
        #expect(!Tag(0x0001, 0x0010).isPrivate, "0001 is not a private group (PS3.5 7.8.1)")
    }
}
