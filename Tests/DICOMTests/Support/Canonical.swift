import DICOM
import Foundation

/// Lifeboat's reading of a data set in the form the pydicom helper prints, and the
/// comparison of the two, element by element.
enum Canonical {
    static func listing(_ dataSet: DataSet, characterSet inherited: SpecificCharacterSet = .default) -> [[String: Any]] {
        let characterSet = dataSet.characterSet(inherited: inherited)
        return dataSet.elements.sorted { $0.tag < $1.tag }.map { element in
            var entry: [String: Any] = ["tag": element.tag.hexString, "vr": element.vr.rawValue, "valueVR": element.valueVR.rawValue]
            switch element.value {
            case .sequence(let items):
                entry["items"] = items.map { listing($0.dataSet, characterSet: characterSet) }
            case .encapsulated:
                let file = DICOMFile(preamble: nil, fileMeta: DataSet(), dataSet: DataSet([element]), transferSyntax: .explicitVRLittleEndian)
                let encoded = (try? file.serialized()) ?? []
                entry["bytes"] = Array(encoded.dropFirst(12).dropLast(8)) // header and sequence delimiter off
            case .bulk:
                entry["bytes"] = "not loaded"
            case .bytes(let bytes):
                entry["raw"] = bytes
                if element.valueVR.isBulkDataCandidate {
                    entry["bytes"] = bytes
                } else if element.valueVR == .AT {
                    entry["values"] = (try? element.attributeTags().map { Int($0.rawValue) }) ?? "unreadable"
                } else if [.FL, .FD].contains(element.valueVR) {
                    entry["values"] = (try? element.doubles()) ?? "unreadable"
                } else if [.US, .SS, .UL, .SL, .SV, .UV].contains(element.valueVR) {
                    entry["values"] = (try? element.integers()) ?? "unreadable"
                } else {
                    do {
                        // pydicom leaves out a person name's trailing empty component groups.
                        let trim = CharacterSet(charactersIn: element.valueVR == .PN ? " \0=" : " \0")
                        entry["values"] = try element.strings(characterSet: characterSet).map { $0.trimmingCharacters(in: trim) }
                    } catch {
                        entry["values"] = "unreadable: \(error)"
                    }
                }
            }
            return entry
        }
    }

    /// Differences between Lifeboat's listing and pydicom's, described for a test failure.
    static func differences(_ ours: [[String: Any]], _ theirs: [[String: Any]], path: String = "") -> [String] {
        let ourTags = ours.map { $0["tag"] as! String }
        let theirTags = theirs.map { $0["tag"] as! String }
        guard ourTags == theirTags else {
            return ["\(path): tags differ: only ours \(Set(ourTags).subtracting(theirTags).sorted()), only pydicom's \(Set(theirTags).subtracting(ourTags).sorted())"]
        }
        var found: [String] = []
        for (mine, other) in zip(ours, theirs) {
            let place = "\(path)/\(mine["tag"] as! String)"
            let (ourVR, theirVR) = (mine["vr"] as! String, other["vr"] as! String)
            if let ourItems = mine["items"] as? [[[String: Any]]] {
                guard let theirItems = other["items"] as? [[[String: Any]]], ourItems.count == theirItems.count else {
                    found.append("\(place): \(ourVR) with \(ourItems.count) items, pydicom \(theirVR) \(other["items"].map { "with \(($0 as? [Any])?.count ?? -1) items" } ?? "without items")")
                    continue
                }
                for (index, (a, b)) in zip(ourItems, theirItems).enumerated() {
                    found += differences(a, b, path: "\(place)[\(index)]")
                }
                continue
            }
            // A UN element of a standard tag: pydicom reads it with the dictionary's VR, as we do.
            if ourVR != theirVR && mine["valueVR"] as? String != theirVR {
                // A private or unknown tag in implicit VR is UN to us; pydicom may know its VR
                // from its private dictionary. Then the stored bytes must agree.
                if ourVR == "UN", let raw = other["raw"] as? String, Data(base64Encoded: raw).map(Array.init) == mine["raw"] as? [UInt8] { continue }
                found.append("\(place): VR \(ourVR), pydicom \(theirVR)")
                continue
            }
            if let bytes = mine["bytes"] {
                let theirs = (other["bytes"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init)
                if (bytes as? [UInt8]) != theirs {
                    found.append("\(place): \((bytes as? [UInt8])?.count ?? -1) bytes differ from pydicom's \(theirs?.count ?? -1)")
                }
            } else if !same(mine["values"], other["values"]) {
                found.append("\(place) \(ourVR): \(mine["values"] ?? "nil") vs pydicom \(other["values"] ?? "nil")")
            }
        }
        return found
    }

    private static func same(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case let (x as [String], y as [String]): return x == y
        case let (x as [Int], y as [Any]): return x.count == y.count && zip(x, y).allSatisfy { ($1 as? NSNumber)?.intValue == $0 && !($1 is String) }
        case let (x as [Double], y as [Any]):
            return x.count == y.count && zip(x, y).allSatisfy { ours, theirs in
                if let text = theirs as? String { return text == "\(ours)" || (ours.isNaN && text == "nan") }
                // JSONSerialization may round the last digit of a double it parses.
                guard let theirs = (theirs as? NSNumber)?.doubleValue else { return false }
                return theirs == ours || abs(theirs - ours) <= abs(ours) * 1e-15
            }
        default: return false
        }
    }
}
