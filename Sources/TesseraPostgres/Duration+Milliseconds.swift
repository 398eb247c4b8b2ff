extension Duration {
    /// Whole milliseconds, rounded toward zero: what the database's `interval '1 millisecond'` products
    /// and the socket options take.
    public var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// In seconds, as a floating-point number (rates, metrics, SQL intervals).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
