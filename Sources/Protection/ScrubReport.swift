import Archive

/// What a pass over one place found and did.
public struct ScrubReport: Sendable, Equatable {
    public var place: String
    /// Versions whose copy here was checked.
    public var checked = 0
    /// Bytes read and hashed (local blobs, copies read back from a target).
    public var bytesRead = 0
    /// Every bad copy found, with what became of it.
    public var findings: [IntegrityFinding] = []
    /// Whether the pass went through to the end (not cancelled, not cut short by an error).
    public var complete = false
    /// Why a pass ended early, if it did.
    public var error: String?

    public init(place: String) { self.place = place }

    public var found: Int { findings.count }
    public var healed: Int { findings.filter { $0.healedAt != nil }.count }
    public var unrecoverable: Int { findings.filter(\.unrecoverable).count }

    public func count(_ problem: IntegrityFinding.Problem) -> Int { findings.filter { $0.problem == problem }.count }

    /// One line for a person: "local: 1000 checked (512.0 MB read), 3 bad (1 missing, 2 corrupt), 3 healed".
    public var summary: String {
        var line = "\(place): \(checked) checked (\(String(format: "%.1f", Double(bytesRead) / 1e6)) MB read)"
        if found == 0 { return line + ", all intact" + (complete ? "" : " so far") }
        let kinds = IntegrityFinding.Problem.allCases.compactMap { count($0) > 0 ? "\(count($0)) \($0.rawValue)" : nil }
        line += ", \(found) bad (\(kinds.joined(separator: ", "))), \(healed) healed"
        if unrecoverable > 0 { line += ", \(unrecoverable) WITH NO GOOD COPY ANYWHERE" }
        return line
    }
}
