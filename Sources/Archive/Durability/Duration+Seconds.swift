extension Duration {
    /// The duration in seconds, fraction included: for rates, paces and dates.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
