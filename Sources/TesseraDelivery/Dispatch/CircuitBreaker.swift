/// A circuit breaker for one endpoint: it opens when the failure rate over a sliding window passes a
/// threshold (or after a few failures in a row, however few requests there were), lets one probe
/// through after a cool-down (half-open), closes again when probes succeed and reopens, with a longer
/// cool-down, when a probe fails. The cool-down stays short (1 s doubling to 4 s by default): a
/// receiver back from an outage of any length is probed within seconds, and an open breaker costs the
/// endpoint one request per cool-down. Pure: the time is passed in.
public struct CircuitBreaker: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// How far back outcomes count.
        public var window: Duration
        /// Fewer outcomes than this in the window never open the breaker.
        public var minimumRequests: Int
        /// Failure fraction (0...1) at or above which the breaker opens.
        public var failureRate: Double
        /// This many failures in a row open the breaker whatever the window holds (0: never).
        public var consecutiveFailures: Int
        /// The first cool-down; it doubles after each failed probe, up to `maximumOpenDuration`.
        public var openDuration: Duration
        public var maximumOpenDuration: Duration
        /// Successful probes needed to close.
        public var probesToClose: Int

        public init(
            window: Duration = .seconds(30),
            minimumRequests: Int = 10,
            failureRate: Double = 0.5,
            consecutiveFailures: Int = 3,
            openDuration: Duration = .seconds(1),
            maximumOpenDuration: Duration = .seconds(4),
            probesToClose: Int = 2
        ) {
            self.window = window
            self.minimumRequests = minimumRequests
            self.failureRate = failureRate
            self.consecutiveFailures = consecutiveFailures
            self.openDuration = openDuration
            self.maximumOpenDuration = maximumOpenDuration
            self.probesToClose = probesToClose
        }
    }

    public enum State: Sendable, Hashable {
        case closed
        case open(until: ContinuousClock.Instant)
        case halfOpen(probeInFlight: Bool, successes: Int)
    }

    /// Whether a request may go now.
    public enum Permission: Sendable, Hashable {
        case allowed
        /// Allowed as the single half-open probe; report its outcome.
        case probe
        /// Refused until at least this time.
        case refused(until: ContinuousClock.Instant)
    }

    public let configuration: Configuration
    public private(set) var state: State = .closed
    private var currentOpenDuration: Duration
    private var failuresInARow = 0
    /// Outcomes in the window, counted in ten time buckets (oldest first), so the cost is constant per request.
    private var buckets: [(start: ContinuousClock.Instant, total: Int, failed: Int)] = []

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        self.currentOpenDuration = configuration.openDuration
    }

    /// Asks to send one request. A `.probe` answer marks the probe as in flight.
    public mutating func permission(now: ContinuousClock.Instant) -> Permission {
        switch state {
        case .closed:
            return .allowed
        case .open(let until):
            guard now >= until else { return .refused(until: until) }
            state = .halfOpen(probeInFlight: true, successes: 0)
            return .probe
        case .halfOpen(let probeInFlight, let successes):
            guard !probeInFlight else { return .refused(until: now + .milliseconds(100)) }
            state = .halfOpen(probeInFlight: true, successes: successes)
            return .probe
        }
    }

    /// Whether a request would be allowed now, without taking the probe.
    public func wouldAllow(now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed: return true
        case .open(let until): return now >= until
        case .halfOpen(let probeInFlight, _): return !probeInFlight
        }
    }

    /// Reports a request that was allowed and answered "slow down" (429): the endpoint is up, so it
    /// counts as no failure while closed, but it proves nothing about the endpoint's health, so a
    /// probe answered so neither closes the breaker nor reopens it: the probe is over, and the next
    /// one (after the pause the answer asked for) decides.
    public mutating func recordThrottled(now: ContinuousClock.Instant) {
        if case .halfOpen(_, let successes) = state {
            state = .halfOpen(probeInFlight: false, successes: successes)
        } else {
            record(failed: false, now: now)
        }
    }

    /// Reports the outcome of a request that was allowed.
    public mutating func record(failed: Bool, now: ContinuousClock.Instant) {
        switch state {
        case .closed:
            failuresInARow = failed ? failuresInARow + 1 : 0
            trim(now: now)
            let width = configuration.window / 10
            if let last = buckets.last, now < last.start + width {
                buckets[buckets.count - 1].total += 1
                buckets[buckets.count - 1].failed += failed ? 1 : 0
            } else {
                buckets.append((now, 1, failed ? 1 : 0))
            }
            let total = buckets.reduce(0) { $0 + $1.total }
            let failures = buckets.reduce(0) { $0 + $1.failed }
            let rateTripped =
                total >= configuration.minimumRequests && Double(failures) >= configuration.failureRate * Double(total)
            let streakTripped =
                configuration.consecutiveFailures > 0 && failuresInARow >= configuration.consecutiveFailures
            if rateTripped || streakTripped {
                open(now: now)
            }
        case .halfOpen(_, let successes):
            if failed {
                currentOpenDuration = min(currentOpenDuration * 2, configuration.maximumOpenDuration)
                open(now: now)
            } else if successes + 1 >= configuration.probesToClose {
                state = .closed
                currentOpenDuration = configuration.openDuration
                buckets.removeAll()
            } else {
                state = .halfOpen(probeInFlight: false, successes: successes + 1)
            }
        case .open:
            // A request sent before the breaker opened: it no longer changes anything.
            break
        }
    }

    private mutating func open(now: ContinuousClock.Instant) {
        state = .open(until: now + currentOpenDuration)
        buckets.removeAll()
        failuresInARow = 0
    }

    private mutating func trim(now: ContinuousClock.Instant) {
        let horizon = now - configuration.window
        if let keep = buckets.firstIndex(where: { $0.start >= horizon }) {
            if keep > 0 { buckets.removeFirst(keep) }
        } else {
            buckets.removeAll()
        }
    }
}
