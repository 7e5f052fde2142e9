import DICOM

/// The presentation contexts a sender proposes (PS3.8 9.3.2.2): each file's SOP class in its
/// stored transfer syntax and, for every SOP class stored in another syntax than Implicit VR
/// Little Endian, one more in Explicit and Implicit VR Little Endian — the syntaxes every
/// peer takes (PS3.5 10.1) —, so that a peer that takes only uncompressed still gets the
/// instances, decoded on the way (`UncompressedCopy`).
extension FileSender {
    /// The syntaxes of the uncompressed context, in order of preference.
    public static let uncompressedSyntaxes = [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid]

    /// The distinct contexts `files` need, in the order they first appear, as many as fit in
    /// `limit` presentation contexts with their uncompressed ones.
    public static func contextKeys(_ files: [Prepared], limit: Int) -> [ContextKey] {
        var keys: [ContextKey] = []
        var seen = Set<ContextKey>()
        var classes = Set<String>()
        for file in files where !seen.contains(file.context) {
            let added = needsUncompressed(file.context) && !classes.contains(file.sopClassUID) ? 2 : 1
            guard keys.count + classes.count + added <= limit else { break }
            seen.insert(file.context)
            keys.append(file.context)
            if added == 2 { classes.insert(file.sopClassUID) }
        }
        return keys
    }

    /// The contexts for `keys`, IDs 1, 3, ... 253: at most 127; an uncompressed context that
    /// does not fit is left out (its files then go only as stored).
    public static func contexts(for keys: [ContextKey]) -> [ProposedPresentationContext] {
        var syntaxes = keys.prefix(127).map { (sopClass: $0.sopClassUID, syntaxes: [$0.transferSyntaxUID]) }
        var classes = Set<String>()
        for key in keys.prefix(127) where needsUncompressed(key) && classes.insert(key.sopClassUID).inserted && syntaxes.count < 127 {
            syntaxes.append((key.sopClassUID, uncompressedSyntaxes))
        }
        return syntaxes.enumerated().map { index, context in
            ProposedPresentationContext(id: UInt8(index * 2 + 1), abstractSyntax: context.sopClass, transferSyntaxes: context.syntaxes)
        }
    }

    /// How many contexts `keys` take with their uncompressed ones.
    public static func contextCount(for keys: [ContextKey]) -> Int {
        keys.count + Set(keys.filter(needsUncompressed).map(\.sopClassUID)).count
    }

    /// Of `candidates` (accepted contexts of one SOP class), one in the most preferred
    /// uncompressed syntax; nil when none is uncompressed.
    static func preferredUncompressed<Context>(_ candidates: [Context], syntax: (Context) -> String) -> Context? {
        for uid in uncompressedSyntaxes {
            if let found = candidates.first(where: { syntax($0) == uid }) { return found }
        }
        return nil
    }

    static func needsUncompressed(_ key: ContextKey) -> Bool { key.transferSyntaxUID != TransferSyntax.implicitVRLittleEndian.uid }
}
