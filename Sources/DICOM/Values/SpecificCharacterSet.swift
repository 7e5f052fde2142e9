import Foundation

/// The character sets of (0008,0005) Specific Character Set, and decoding text with them
/// (PS3.5 6.1, PS3.3 C.12.1.1.2), including ISO/IEC 2022 code extensions.
public struct SpecificCharacterSet: Sendable, Equatable {
    /// The defined terms, value 1 first; value 1 may be empty (the default repertoire).
    public let terms: [String]

    /// ISO_IR 6: the default repertoire.
    public static let `default` = SpecificCharacterSet(terms: [])
    public static let utf8 = SpecificCharacterSet(terms: ["ISO_IR 192"])

    public init(terms: [String]) {
        self.terms = terms.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// From the raw value of (0008,0005).
    public init(bytes: [UInt8]) {
        self.init(terms: String(decoding: bytes, as: UTF8.self).split(separator: "\\", omittingEmptySubsequences: false).map(String.init))
    }

    private var usesCodeExtensions: Bool { terms.contains { $0.hasPrefix("ISO 2022") } }

    /// Decodes the bytes of a value. Only VRs that use Specific Character Set
    /// (PS3.5 6.1.2.3) are decoded with it; the others are the default repertoire.
    public func decode(_ bytes: some Collection<UInt8>, vr: VR) throws(DICOMValueError) -> String {
        guard vr.usesSpecificCharacterSet, let first = terms.first else { return Self.latin1(bytes) }
        if usesCodeExtensions { return try decodeWithCodeExtensions(Array(bytes), isPersonName: vr == .PN) }
        if terms.count > 1 {
            throw DICOMValueError(.unsupportedCharacterSet, "several character sets without ISO 2022 code extensions: \(terms.joined(separator: "\\"))")
        }
        guard let encoding = Self.encoding(forTerm: first) else {
            throw DICOMValueError(.unsupportedCharacterSet, "character set \"\(first)\" is not known")
        }
        if encoding == .isoLatin1 { return Self.latin1(bytes) }
        guard let text = String(bytes: Array(bytes), encoding: encoding) else {
            throw DICOMValueError(.undecodable, "bytes not valid in character set \(first)")
        }
        return text
    }

    /// The default repertoire. Bytes above 0x7F do not belong in it; they are read as
    /// ISO 8859-1, as most toolkits do, rather than refused.
    static func latin1(_ bytes: some Collection<UInt8>) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// Foundation's encoding for a defined term without code extensions (PS3.3 table C.12-2).
    static func encoding(forTerm term: String) -> String.Encoding? {
        switch term {
        case "", "ISO_IR 6", "ISO_IR 100": .isoLatin1
        case "ISO_IR 101": .isoLatin2
        case "ISO_IR 109": cf(0x0203)
        case "ISO_IR 110": cf(0x0204)
        case "ISO_IR 144": cf(0x0205)
        case "ISO_IR 127": cf(0x0206)
        case "ISO_IR 126": cf(0x0207)
        case "ISO_IR 138": cf(0x0208)
        case "ISO_IR 148": cf(0x0209)
        case "ISO_IR 166": cf(0x020B)
        case "ISO_IR 203": cf(0x020F)
        case "ISO_IR 13": .shiftJIS // JIS X 0201: its single bytes are Shift_JIS's
        case "ISO_IR 192": .utf8
        case "GB18030", "GBK": cf(0x0632)
        default: nil
        }
    }

    /// A Core Foundation encoding number as a Foundation encoding.
    private static func cf(_ value: UInt) -> String.Encoding { String.Encoding(rawValue: 0x8000_0000 | value) }

    // MARK: ISO/IEC 2022 (PS3.5 6.1.2.5)

    /// What a G0 or G1 designation selects.
    enum Designation: Equatable {
        case ascii
        case jisX0208 // two 7-bit bytes, G0
        case jisX0212 // two 7-bit bytes, G0
        case highBytes(String.Encoding, term: String) // G1: single-byte sets and KS X 1001, GB 2312
    }

    /// Escape sequences of PS3.3 tables C.12-3 and C.12-4, after ESC.
    private static let escapes: [[UInt8]: (g0: Bool, Designation)] = [
        Array("(B".utf8): (true, .ascii),
        Array("(J".utf8): (true, .ascii), // JIS X 0201 romaji: ASCII but for yen and overline
        Array("$B".utf8): (true, .jisX0208),
        Array("$@".utf8): (true, .jisX0208),
        Array("$(D".utf8): (true, .jisX0212),
        Array(")I".utf8): (false, .highBytes(.shiftJIS, term: "ISO 2022 IR 13")),
        Array("$)C".utf8): (false, .highBytes(cf(0x0940), term: "ISO 2022 IR 149")),
        Array("$)A".utf8): (false, .highBytes(cf(0x0632), term: "ISO 2022 IR 58")),
        Array("-A".utf8): (false, .highBytes(.isoLatin1, term: "ISO 2022 IR 100")),
        Array("-B".utf8): (false, .highBytes(.isoLatin2, term: "ISO 2022 IR 101")),
        Array("-C".utf8): (false, .highBytes(cf(0x0203), term: "ISO 2022 IR 109")),
        Array("-D".utf8): (false, .highBytes(cf(0x0204), term: "ISO 2022 IR 110")),
        Array("-L".utf8): (false, .highBytes(cf(0x0205), term: "ISO 2022 IR 144")),
        Array("-G".utf8): (false, .highBytes(cf(0x0206), term: "ISO 2022 IR 127")),
        Array("-F".utf8): (false, .highBytes(cf(0x0207), term: "ISO 2022 IR 126")),
        Array("-H".utf8): (false, .highBytes(cf(0x0208), term: "ISO 2022 IR 138")),
        Array("-M".utf8): (false, .highBytes(cf(0x0209), term: "ISO 2022 IR 148")),
        Array("-T".utf8): (false, .highBytes(cf(0x020B), term: "ISO 2022 IR 166")),
        Array("-b".utf8): (false, .highBytes(cf(0x020F), term: "ISO 2022 IR 203")),
    ]

    /// The G0 and G1 sets value 1 designates before any escape sequence.
    private var initialDesignations: (g0: Designation, g1: Designation?) {
        switch terms.first ?? "" {
        case "ISO 2022 IR 13", "ISO_IR 13": (.ascii, .highBytes(.shiftJIS, term: "ISO 2022 IR 13"))
        case "ISO 2022 IR 149": (.ascii, .highBytes(Self.cf(0x0940), term: "ISO 2022 IR 149"))
        case "ISO 2022 IR 58": (.ascii, .highBytes(Self.cf(0x0632), term: "ISO 2022 IR 58"))
        case let term:
            if let encoding = Self.encoding(forTerm: term.replacingOccurrences(of: "ISO 2022 ", with: "ISO_")), encoding != .utf8 {
                (.ascii, term.isEmpty || term == "ISO 2022 IR 6" ? nil : .highBytes(encoding, term: term))
            } else {
                (.ascii, nil)
            }
        }
    }

    private func decodeWithCodeExtensions(_ bytes: [UInt8], isPersonName: Bool) throws(DICOMValueError) -> String {
        let initial = initialDesignations
        var g0 = initial.g0
        var g1 = initial.g1
        var result = ""
        var run: [UInt8] = []
        var runSet = g0

        func flush() throws(DICOMValueError) {
            guard !run.isEmpty else { return }
            result += try Self.decodeRun(run, in: runSet)
            run.removeAll()
        }

        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x1B {
                let rest = bytes[(index + 1)...]
                guard let (sequence, (isG0, designation)) = Self.escapes.first(where: { rest.starts(with: $0.key) }) else {
                    throw DICOMValueError(.unsupportedCharacterSet, "an ISO 2022 escape sequence this platform cannot decode at byte \(index)")
                }
                if isG0 { g0 = designation } else { g1 = designation }
                index += 1 + sequence.count
                continue
            }
            let set: Designation
            if byte >= 0x80 {
                guard let g1 else { throw DICOMValueError(.undecodable, "byte \(hex2(byte)) with no G1 character set designated") }
                set = g1
            } else {
                set = g0
            }
            if set != runSet {
                try flush()
                runSet = set
            }
            run.append(byte)
            if set == .jisX0208 || set == .jisX0212 {
                guard index + 1 < bytes.count else { throw DICOMValueError(.undecodable, "a two-byte character cut short") }
                run.append(bytes[index + 1])
                index += 2
                continue
            }
            index += 1
            // Delimiters return to the initial sets (PS3.5 6.1.2.5.3).
            if set == .ascii, [0x0D, 0x0A, 0x0C, 0x09, 0x5C].contains(byte) || (isPersonName && (byte == 0x5E || byte == 0x3D)) {
                g0 = initial.g0
                g1 = initial.g1
            }
        }
        try flush()
        return result
    }

    private static func decodeRun(_ run: [UInt8], in set: Designation) throws(DICOMValueError) -> String {
        switch set {
        case .ascii:
            return String(decoding: run, as: UTF8.self)
        case .jisX0208:
            var shiftJIS: [UInt8] = []
            for pair in stride(from: 0, to: run.count, by: 2) {
                let (j1, j2) = (run[pair], run[pair + 1])
                var s1 = (j1 &- 0x21) >> 1 &+ 0x81
                if s1 > 0x9F { s1 &+= 0x40 }
                var s2: UInt8
                if j1 & 1 == 1 {
                    s2 = j2 &+ 0x1F
                    if s2 >= 0x7F { s2 &+= 1 }
                } else {
                    s2 = j2 &+ 0x7E
                }
                shiftJIS += [s1, s2]
            }
            guard let text = String(bytes: shiftJIS, encoding: .shiftJIS) else {
                throw DICOMValueError(.undecodable, "bytes not valid in JIS X 0208")
            }
            return text
        case .jisX0212:
            throw DICOMValueError(.unsupportedCharacterSet, "JIS X 0212 (ISO 2022 IR 159) cannot be decoded on this platform")
        case .highBytes(let encoding, let term):
            if encoding == .isoLatin1 { return latin1(run) }
            guard let text = String(bytes: run, encoding: encoding) else {
                throw DICOMValueError(.undecodable, "bytes not valid in \(term)")
            }
            return text
        }
    }
}
