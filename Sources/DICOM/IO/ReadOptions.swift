/// How to read: strictly as PS3.10 says, or leniently, as much as can be made sense of.
public struct ReadOptions: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Only Part 10 files: preamble, "DICM", a file meta group with a transfer syntax;
        /// every structural fault is an error.
        case strict
        /// Also files without a preamble or a meta group (the transfer syntax is guessed),
        /// explicit VRs that name no VR (read as implicit), and a last value cut short
        /// (kept as far as it goes).
        case lenient
    }

    public var mode: Mode
    /// Stop at the first pixel data element of the top-level data set without reading it.
    public var stopBeforePixelData: Bool
    /// When reading a file, binary values (OB, OD, OF, OL, OV, OW, UN and pixel data
    /// fragments) of at least this many bytes are left in the file as `.bulk`
    /// references, so that memory stays bounded whatever the file's size. nil loads all.
    public var bulkDataThreshold: Int?
    /// Deeper nesting of sequences is refused, so a hostile file cannot exhaust the stack.
    public var maximumNestingDepth: Int
    /// A deflated data set is read into memory; one that inflates to more is refused, so a
    /// small "deflate bomb" cannot exhaust memory.
    public var maximumInflatedLength: Int
    /// With `bulkDataThreshold`: large values of a stream that is not a file (a deflated data
    /// set, memory) are skipped too, not loaded — their references then give offsets in the
    /// decoded stream, good for their length only. For checking a data set's structure.
    public var skipsBulkData: Bool

    public init(mode: Mode = .strict, stopBeforePixelData: Bool = false, bulkDataThreshold: Int? = nil,
                maximumNestingDepth: Int = 64, maximumInflatedLength: Int = 1 << 30, skipsBulkData: Bool = false) {
        self.mode = mode
        self.stopBeforePixelData = stopBeforePixelData
        self.bulkDataThreshold = bulkDataThreshold
        self.maximumNestingDepth = maximumNestingDepth
        self.maximumInflatedLength = maximumInflatedLength
        self.skipsBulkData = skipsBulkData
    }

    public static let strict = ReadOptions()
    public static let lenient = ReadOptions(mode: .lenient)
    /// The header only, strictly.
    public static let headerOnly = ReadOptions(stopBeforePixelData: true)
    /// What ingest uses: every element strictly, to its end, large values left where they are
    /// (`StructureCheck`).
    public static let structure = ReadOptions(bulkDataThreshold: 1024, skipsBulkData: true)

    var isLenient: Bool { mode == .lenient }
}
