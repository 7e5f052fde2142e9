/// How a data set is encoded: VR explicit or implicit, byte order, deflate, and whether
/// pixel data is encapsulated (PS3.5 10 and Annex A).
public struct TransferSyntax: Hashable, Sendable, CustomStringConvertible {
    public let uid: String
    public let isExplicitVR: Bool
    public let isBigEndian: Bool
    public let isDeflated: Bool
    public let isEncapsulated: Bool

    public init(uid: String, isExplicitVR: Bool, isBigEndian: Bool = false, isDeflated: Bool = false, isEncapsulated: Bool = false) {
        self.uid = uid
        self.isExplicitVR = isExplicitVR
        self.isBigEndian = isBigEndian
        self.isDeflated = isDeflated
        self.isEncapsulated = isEncapsulated
    }

    /// PS3.5 A.1, the default transfer syntax.
    public static let implicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2", isExplicitVR: false)
    /// PS3.5 A.2.
    public static let explicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1", isExplicitVR: true)
    /// PS3.5 A.5.
    public static let deflatedExplicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1.99", isExplicitVR: true, isDeflated: true)
    /// PS3.5 A.3 (retired, still met in archives).
    public static let explicitVRBigEndian = TransferSyntax(uid: "1.2.840.10008.1.2.2", isExplicitVR: true, isBigEndian: true)
    /// PS3.5 A.4.11 (JPIP referenced pixel data, deflated).
    static let jpipReferencedDeflate = TransferSyntax(uid: "1.2.840.10008.1.2.4.95", isExplicitVR: true, isDeflated: true)
    static let jpipReferenced = TransferSyntax(uid: "1.2.840.10008.1.2.4.94", isExplicitVR: true)
    public static let jpegBaseline = TransferSyntax(uid: "1.2.840.10008.1.2.4.50", isExplicitVR: true, isEncapsulated: true)
    public static let rleLossless = TransferSyntax(uid: "1.2.840.10008.1.2.5", isExplicitVR: true, isEncapsulated: true)

    private static let native: [String: TransferSyntax] = Dictionary(uniqueKeysWithValues: [
        implicitVRLittleEndian, explicitVRLittleEndian, deflatedExplicitVRLittleEndian, explicitVRBigEndian,
        jpipReferenced, jpipReferencedDeflate,
    ].map { ($0.uid, $0) })

    /// A transfer syntax registered in PS3.6; every registered one that is not native
    /// is explicit VR little endian with encapsulated pixel data (PS3.5 A.4).
    public init?(uid: String) {
        if let known = TransferSyntax.native[uid] {
            self = known
        } else if UIDRegistry.entry(for: uid)?.type == "Transfer Syntax" {
            self.init(uid: uid, isExplicitVR: true, isEncapsulated: true)
        } else {
            return nil
        }
    }

    public var name: String { UIDRegistry.entry(for: uid)?.name ?? uid }
    public var description: String { name }
}
