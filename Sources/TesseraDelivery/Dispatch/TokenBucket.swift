import TesseraPostgres

/// A token bucket: `ratePerMinute` tokens a minute, holding at most `capacity` (the burst).
/// Pure: the time is passed in.
public struct TokenBucket: Sendable, Hashable {
    public let ratePerMinute: Int
    public let capacity: Double
    private var tokens: Double
    private var updatedAt: ContinuousClock.Instant

    /// - Parameters:
    ///   - ratePerMinute: the sustained rate, > 0.
    ///   - burst: tokens available at once; by default one second's worth, at least 1.
    public init(ratePerMinute: Int, burst: Double? = nil, now: ContinuousClock.Instant) {
        self.ratePerMinute = max(1, ratePerMinute)
        self.capacity = max(1, burst ?? Double(self.ratePerMinute) / 60)
        self.tokens = capacity
        self.updatedAt = now
    }

    /// Whole tokens available now.
    public mutating func available(now: ContinuousClock.Instant) -> Int {
        refill(now: now)
        return Int(tokens.rounded(.down))
    }

    /// Takes `count` tokens (callers take no more than ``available(now:)`` said).
    public mutating func take(_ count: Int, now: ContinuousClock.Instant) {
        refill(now: now)
        tokens = max(0, tokens - Double(count))
    }

    /// How long until one token is available.
    public mutating func timeUntilNextToken(now: ContinuousClock.Instant) -> Duration {
        refill(now: now)
        if tokens >= 1 { return .zero }
        let seconds = (1 - tokens) * 60 / Double(ratePerMinute)
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    private mutating func refill(now: ContinuousClock.Instant) {
        guard now > updatedAt else { return }
        let elapsed = updatedAt.duration(to: now)
        let seconds = elapsed.inSeconds
        tokens = min(capacity, tokens + seconds * Double(ratePerMinute) / 60)
        updatedAt = now
    }
}
