/// Value representations (PS3.5 6.2), all 34 of them.
public enum VR: String, CaseIterable, Sendable {
    case AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW
    case PN, SH, SL, SQ, SS, ST, SV, TM, UC, UI, UL, UN, UR, US, UT, UV

    /// Reads the two ASCII bytes of an explicit VR; nil when they name no VR.
    public init?(byte0: UInt8, byte1: UInt8) {
        // A 26x26 table of uppercase letter pairs: this runs once per element read.
        guard byte0 &- 0x41 < 26, byte1 &- 0x41 < 26, let vr = VR.byLetters[Int(byte0 - 0x41) * 26 + Int(byte1 - 0x41)] else { return nil }
        self = vr
    }

    private static let byLetters: [VR?] = {
        var table = [VR?](repeating: nil, count: 26 * 26)
        for vr in allCases {
            let (a, b) = vr.bytes
            table[Int(a - 0x41) * 26 + Int(b - 0x41)] = vr
        }
        return table
    }()

    var bytes: (UInt8, UInt8) {
        let utf8 = Array(rawValue.utf8)
        return (utf8[0], utf8[1])
    }

    /// In explicit VR encodings these carry two reserved bytes and a 32-bit length;
    /// all others a 16-bit length (PS3.5 7.1.2, table 7.1-1).
    public var hasLongLength: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .SQ, .SV, .UC, .UN, .UR, .UT, .UV: true
        default: false
        }
    }

    /// Character string VRs.
    public var isString: Bool {
        switch self {
        case .AE, .AS, .CS, .DA, .DS, .DT, .IS, .LO, .LT, .PN, .SH, .ST, .TM, .UC, .UI, .UR, .UT: true
        default: false
        }
    }

    /// String VRs whose bytes depend on Specific Character Set (PS3.5 6.1.2.3); the others are ASCII.
    public var usesSpecificCharacterSet: Bool {
        switch self {
        case .LO, .LT, .PN, .SH, .ST, .UC, .UT: true
        default: false
        }
    }

    /// String VRs that hold one value which may itself contain a backslash (PS3.5 6.4).
    public var isSingleValuedText: Bool { self == .LT || self == .ST || self == .UT || self == .UR }

    /// Binary VRs whose value may be large; candidates for bulk data references.
    public var isBulkDataCandidate: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .UN: true
        default: false
        }
    }

    /// The size of one number of the element `tag` of this VR, which byte order applies to:
    /// native Pixel Data in OW holds Bits Allocated-sized numbers — a 32-bit Big Endian image
    /// is stored four bytes a pixel, most significant first, as DCMTK and pydicom read and
    /// write it —, everything else the VR's `byteSwapSize`.
    public func byteSwapSize(of tag: Tag, bitsAllocated: Int?) -> Int {
        if tag == .pixelData, self == .OW, let bits = bitsAllocated, bits == 32 || bits == 64 { return bits / 8 }
        return byteSwapSize
    }

    /// The size of one number, which byte order applies to; 1 where byte order does not matter.
    /// AT is a pair of 16-bit numbers (PS3.5 6.2).
    public var byteSwapSize: Int {
        switch self {
        case .US, .SS, .OW, .AT: 2
        case .UL, .SL, .FL, .OF, .OL: 4
        case .FD, .OD, .SV, .UV, .OV: 8
        default: 1
        }
    }

    /// The byte an odd-length value is padded with to an even length (PS3.5 6.2).
    public var paddingByte: UInt8 {
        switch self {
        case .UI, .OB, .UN: 0x00
        default: isString ? 0x20 : 0x00
        }
    }
}
