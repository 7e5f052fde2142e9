@testable import DICOM
import Foundation
import Testing

/// The DICOM JSON model (PS3.18 F.2).
@Suite struct JSONTests {
    @Test func encodesEachKindOfValue() throws {
        var item = DataSet()
        item[Tag(0x0008, 0x1150)] = DataElement(tag: Tag(0x0008, 0x1150), vr: .UI, strings: ["1.2.3"])
        var dataSet = DataSet()
        dataSet[.patientName] = DataElement(tag: .patientName, vr: .PN, strings: ["Yamada^Tarou=山田^太郎"])
        dataSet[.specificCharacterSet] = DataElement(tag: .specificCharacterSet, vr: .CS, strings: ["ISO_IR 192"])
        dataSet[Tag(0x0008, 0x0008)] = DataElement(tag: Tag(0x0008, 0x0008), vr: .CS, strings: ["ORIGINAL", "", "AXIAL"])
        dataSet[Tag(0x0018, 0x0050)] = DataElement(tag: Tag(0x0018, 0x0050), vr: .DS, strings: ["2.50"])
        dataSet[Tag(0x0020, 0x0013)] = DataElement(tag: Tag(0x0020, 0x0013), vr: .IS, strings: ["+7"])
        dataSet[Tag(0x0008, 0x0050)] = DataElement(tag: Tag(0x0008, 0x0050), vr: .SH, bytes: [])
        dataSet[.rows] = DataElement(tag: .rows, vr: .US, integers: [UInt16(512)])
        dataSet[Tag(0x0020, 0x9165)] = DataElement(tag: Tag(0x0020, 0x9165), vr: .AT, bytes: [0x28, 0x00, 0x10, 0x00])
        dataSet[Tag(0x0008, 0x1140)] = DataElement(tag: Tag(0x0008, 0x1140), items: [Item(dataSet: item)])
        dataSet[Tag(0x0042, 0x0011)] = DataElement(tag: Tag(0x0042, 0x0011), vr: .OB, bytes: [1, 2, 3, 4])
        dataSet[.pixelData] = DataElement(tag: .pixelData, vr: .OW, bytes: [0, 1, 2, 3])

        let encoder = DICOMJSONEncoder { location in
            "https://archive.example/bulk/\(location.path.map { "\($0.sequence.hexString)/\($0.item)/" }.joined())\(location.tag.hexString)"
        }
        let json = try encoder.encode(dataSet).serialized()
        #expect(json == #"""
            {"00080005":{"vr":"CS","Value":["ISO_IR 192"]},"00080008":{"vr":"CS","Value":["ORIGINAL",null,"AXIAL"]},\#
            "00080050":{"vr":"SH"},"00081140":{"vr":"SQ","Value":[{"00081150":{"vr":"UI","Value":["1.2.3"]}}]},\#
            "00100010":{"vr":"PN","Value":[{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎"}]},\#
            "00180050":{"vr":"DS","Value":[2.50]},"00200013":{"vr":"IS","Value":[7]},\#
            "00209165":{"vr":"AT","Value":["00280010"]},"00280010":{"vr":"US","Value":[512]},\#
            "00420011":{"vr":"OB","InlineBinary":"AQIDBA=="},\#
            "7FE00010":{"vr":"OW","BulkDataURI":"https://archive.example/bulk/7FE00010"}}
            """#)
        // It is valid JSON.
        #expect(try JSONSerialization.jsonObject(with: Data(json.utf8)) is [String: Any])
    }

    @Test func valuesLeftInTheFileNeedAURI() throws {
        var dataSet = DataSet()
        dataSet[.pixelData] = DataElement(tag: .pixelData, vr: .OW, value: .bulk(BulkDataReference(offset: 1000, length: 4)))
        let error = #expect(throws: DICOMValueError.self) { try DICOMJSONEncoder().encode(dataSet) }
        #expect(error?.code == .notInMemory)
        let withURI = DICOMJSONEncoder { "file:///x.dcm?offset=\($0.reference?.offset ?? -1)" }
        #expect(try withURI.encode(dataSet).serialized() == #"{"7FE00010":{"vr":"OW","BulkDataURI":"file:///x.dcm?offset=1000"}}"#)
    }

    @Test func numbersAreJSONNumbers() {
        for valid in ["0", "-1", "2.5", "1e10", "1.5E-3", "-0.0"] { #expect(JSONValue.isNumber(valid), "\(valid)") }
        for invalid in ["", "+1", "01", ".5", "1.", "1e", "NaN", "1 "] { #expect(!JSONValue.isNumber(invalid), "\(invalid)") }
    }

    /// Every well-formed little endian file in pydicom's set gives the same model as pydicom's
    /// `to_json_dict`, compared as parsed JSON (numbers as numbers).
    @Test func agreesWithPydicom() throws {
        let (root, files) = try Pydicom.corpus()
        let names = files.filter { name in
            !CorpusTests.notDICOM.contains(name) && CorpusTests.broken[name] == nil
                && (try? DICOMFile(path: "\(root)/\(name)", options: .headerOnly))?.transferSyntax.isBigEndian == false
        }
        let data = try Pydicom.run([Pydicom.helper, "--json", root] + names)
        let theirs = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var compared = 0
        for name in names {
            let file = try DICOMFile(path: "\(root)/\(name)")
            let ours = try JSONSerialization.jsonObject(with: Data(try DICOMJSONEncoder().encode(file.dataSet).serialized().utf8))
            let reference = try #require(theirs[name] as? [String: Any])
            if reference["error"] != nil { continue } // pydicom cannot model it (say, a value it cannot decode)
            let differences = jsonDifferences(ours, reference, path: "")
            #expect(differences.isEmpty, "\(name):\n\(differences.prefix(6).joined(separator: "\n"))")
            compared += 1
        }
        #expect(compared > 150)
    }
}

/// Where two parsed JSON values differ; numbers compare as doubles within float precision.
func jsonDifferences(_ a: Any, _ b: Any, path: String) -> [String] {
    switch (a, b) {
    case let (x as [String: Any], y as [String: Any]):
        // A private tag read in implicit VR is UN to us; pydicom may know its VR from its
        // private dictionary, which Lifeboat does not have.
        if x["vr"] as? String == "UN", let vr = y["vr"] as? String, vr != "UN", path.split(separator: "/").last.flatMap({ Tag(hexString: String($0)) })?.isPrivate == true {
            return []
        }
        let keys = Set(x.keys).union(y.keys).sorted()
        return keys.flatMap { key -> [String] in
            // pydicom writes "Value": [] for an empty sequence; PS3.18 F.2.5 leaves Value out.
            if key == "Value", x[key] == nil, (y[key] as? [Any])?.isEmpty == true { return [] }
            guard let left = x[key], let right = y[key] else { return ["\(path)/\(key): only in \(x[key] == nil ? "pydicom" : "ours")"] }
            return jsonDifferences(left, right, path: "\(path)/\(key)")
        }
    case let (x as [Any], y as [Any]):
        guard x.count == y.count else { return ["\(path): \(x.count) values vs \(y.count)"] }
        return zip(x, y).enumerated().flatMap { jsonDifferences($1.0, $1.1, path: "\(path)[\($0)]") }
    case let (x as String, y as String):
        // pydicom keeps a CS value's insignificant trailing spaces (PS3.5 6.2).
        return x == y || x == y.trimmingCharacters(in: .whitespaces) ? [] : ["\(path): \"\(x)\" vs \"\(y)\""]
    case (is NSNull, let y as String) where y.isEmpty:
        return [] // PS3.18 F.2.5: an empty value among several is null; pydicom writes ""
    case let (x as NSNumber, y as NSNumber):
        let (p, q) = (x.doubleValue, y.doubleValue)
        return p == q || abs(p - q) <= max(abs(p), abs(q)) * 1e-6 ? [] : ["\(path): \(p) vs \(q)"]
    case (is NSNull, is NSNull):
        return []
    default:
        return ["\(path): \(a) vs \(b)"]
    }
}
