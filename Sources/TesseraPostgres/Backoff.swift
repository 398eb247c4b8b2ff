/// The delay before retrying after consecutive failures: `initial`, doubling with each failure, at
/// most `maximum`.
///
/// Every loop that talks to the database (listener, processor, flusher, dispatcher) retries with it:
/// 0.1 s doubling to 0.5 s. A database that is down costs each loop two refused connects a second, and
/// one that is back is found within half a second by each stage in turn (a restart's changes must
/// arrive within their window plus 2 s).
public struct Backoff: Sendable, Hashable {
    public let initial: Duration
    public let maximum: Duration
    /// Failures since the last success.
    public private(set) var failures = 0

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .milliseconds(500)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// Counts a failure and returns how long to wait before the next try: `initial`·2^(failures − 1),
    /// at most `maximum`.
    public mutating func failed() -> Duration {
        failures += 1
        return min(initial * (1 << min(failures - 1, 20)), maximum)
    }

    /// A success: the next failure starts again from `initial`.
    public mutating func succeeded() { failures = 0 }
}
