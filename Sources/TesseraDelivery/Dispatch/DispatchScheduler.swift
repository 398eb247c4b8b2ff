/// The delivery limits of one subscription, as the scheduler needs them.
public struct SubscriptionLimits: Sendable, Hashable {
    public var id: String
    /// `scheme://host:port`: subscriptions sharing an endpoint share its breaker and slow-down state.
    public var endpoint: String
    /// Only active subscriptions are sent; paused and disabled ones keep their deliveries pending.
    public var isActive: Bool
    public var maxInFlight: Int
    public var ratePerMinute: Int?
    public var ordered: Bool

    public init(
        id: String,
        endpoint: String,
        isActive: Bool = true,
        maxInFlight: Int = 4,
        ratePerMinute: Int? = nil,
        ordered: Bool = false
    ) {
        self.id = id
        self.endpoint = endpoint
        self.isActive = isActive
        self.maxInFlight = maxInFlight
        self.ratePerMinute = ratePerMinute
        self.ordered = ordered
    }
}

/// Decides how many deliveries each subscription may start now, and learns from each outcome.
///
/// Per subscription: an in-flight cap (`max_in_flight`; 1 for ordered subscriptions, whose slot is freed
/// only once the outcome is stored, so the next delivery is claimed after the head is settled), and a
/// token bucket (`rate_per_minute`). Per endpoint: a ``CircuitBreaker`` (an open breaker claims nothing,
/// a half-open one a single probe, early when the receiver had stopped answering) and an adaptive
/// concurrency limit that halves on 429/502/504 (and pauses the endpoint for a `Retry-After`) and grows
/// by one with each healthy answer; a breaker that closes again reports its endpoint as recovered.
/// Pure state: the time is passed in; the dispatcher holds it behind a lock.
public struct DispatchScheduler: Sendable {
    public struct Configuration: Sendable {
        public var breaker: CircuitBreaker.Configuration
        /// The most requests in flight to one endpoint, and where the adaptive limit starts.
        public var endpointConcurrency: Int
        /// The longest an endpoint is paused for a `Retry-After` on 429/502/504.
        public var maximumPause: Duration

        public init(
            breaker: CircuitBreaker.Configuration = .init(),
            endpointConcurrency: Int = 256,
            maximumPause: Duration = .seconds(60)
        ) {
            self.breaker = breaker
            self.endpointConcurrency = endpointConcurrency
            self.maximumPause = maximumPause
        }
    }

    struct SubscriptionState {
        var inFlight = 0
        var bucket: TokenBucket?
    }

    struct EndpointState {
        var breaker: CircuitBreaker
        var inFlight = 0
        var limit: Int
        var pausedUntil: ContinuousClock.Instant?
        /// The last failure got no answer from the receiver itself (see ``EndpointSignal/unavailable``).
        var unavailable = false
    }

    public let configuration: Configuration
    private var subscriptions: [String: SubscriptionState] = [:]
    private var endpoints: [String: EndpointState] = [:]
    private var rotation = 0
    /// Endpoints whose breaker closed again since ``takeRecovered()``.
    private var recovered: Set<String> = []
    /// Per subscription, the claims its token bucket held back since ``takeRateLimitWaits()``.
    private var rateLimitWaits: [String: Int] = [:]

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// How many deliveries each subscription may claim now, at most `capacity` in all. Subscriptions
    /// are visited from a rotating start so that a tight capacity is shared fairly. Nothing is taken:
    /// report what was claimed with ``claimed(_:count:now:)``.
    public mutating func quotas(for all: [SubscriptionLimits], capacity: Int, now: ContinuousClock.Instant)
        -> [(subscription: SubscriptionLimits, quota: Int)]
    {
        guard !all.isEmpty, capacity > 0 else { return [] }
        var remaining = capacity
        var endpointAllowance: [String: Int] = [:]
        var result: [(SubscriptionLimits, Int)] = []
        rotation = (rotation + 1) % all.count
        for offset in 0..<all.count {
            guard remaining > 0 else { break }
            let limits = all[(rotation + offset) % all.count]
            guard limits.isActive else { continue }
            let allowance = endpointAllowance[limits.endpoint] ?? endpointAllowanceNow(limits.endpoint, now: now)
            var quota = min(remaining, allowance)
            var state = subscriptions[limits.id] ?? SubscriptionState()
            quota = min(
                quota,
                limits.ordered ? (state.inFlight == 0 ? 1 : 0) : max(0, limits.maxInFlight - state.inFlight)
            )
            if let rate = limits.ratePerMinute {
                if state.bucket?.ratePerMinute != rate {
                    state.bucket = TokenBucket(ratePerMinute: rate, now: now)
                }
                let available = state.bucket!.available(now: now)
                if quota > 0 && available == 0 { rateLimitWaits[limits.id, default: 0] += 1 }
                quota = min(quota, available)
            } else {
                state.bucket = nil
            }
            subscriptions[limits.id] = state
            endpointAllowance[limits.endpoint] = allowance - max(0, quota)
            if quota > 0 {
                remaining -= quota
                result.append((limits, quota))
            }
        }
        return result
    }

    private mutating func endpointAllowanceNow(_ endpoint: String, now: ContinuousClock.Instant) -> Int {
        let state = endpointState(endpoint)
        if let paused = state.pausedUntil, now < paused { return 0 }
        switch state.breaker.state {
        case .closed:
            return max(0, state.limit - state.inFlight)
        case .open, .halfOpen:
            return state.breaker.wouldAllow(now: now) ? 1 : 0
        }
    }

    private mutating func endpointState(_ endpoint: String) -> EndpointState {
        if let state = endpoints[endpoint] { return state }
        let state = EndpointState(
            breaker: CircuitBreaker(configuration: configuration.breaker),
            limit: configuration.endpointConcurrency
        )
        endpoints[endpoint] = state
        return state
    }

    /// Records that `count` deliveries of the subscription were claimed and are about to be sent.
    public mutating func claimed(_ limits: SubscriptionLimits, count: Int, now: ContinuousClock.Instant) {
        guard count > 0 else { return }
        var state = subscriptions[limits.id] ?? SubscriptionState()
        state.inFlight += count
        state.bucket?.take(count, now: now)
        subscriptions[limits.id] = state
        var endpoint = endpointState(limits.endpoint)
        endpoint.inFlight += count
        if case .closed = endpoint.breaker.state {
        } else {
            _ = endpoint.breaker.permission(now: now)
        }
        endpoints[limits.endpoint] = endpoint
    }

    /// Records the end of one request: feeds the breaker and the adaptive limit, and frees the
    /// subscription's slot unless `keepSlot` (ordered subscriptions keep it until the outcome is stored).
    public mutating func finished(
        _ limits: SubscriptionLimits,
        signal: EndpointSignal,
        keepSlot: Bool,
        now: ContinuousClock.Instant
    ) {
        if !keepSlot {
            release(limits.id)
        }
        var endpoint = endpointState(limits.endpoint)
        endpoint.inFlight = max(0, endpoint.inFlight - 1)
        let wasProbing: Bool
        if case .halfOpen = endpoint.breaker.state { wasProbing = true } else { wasProbing = false }
        switch signal {
        case .healthy:
            endpoint.breaker.record(failed: false, now: now)
            endpoint.limit = min(configuration.endpointConcurrency, endpoint.limit + 1)
        case .slowDown(let retryAfter):
            endpoint.breaker.recordThrottled(now: now)
            endpoint.limit = max(1, min(endpoint.limit, endpoint.inFlight + 1) / 2)
            if let retryAfter, retryAfter > .zero {
                let until = now + min(retryAfter, configuration.maximumPause)
                endpoint.pausedUntil = max(endpoint.pausedUntil ?? until, until)
            }
        case .unavailable(let retryAfter, let overloaded):
            endpoint.breaker.record(failed: true, now: now)
            endpoint.unavailable = true
            if overloaded {
                endpoint.limit = max(1, min(endpoint.limit, endpoint.inFlight + 1) / 2)
            }
            if let retryAfter, retryAfter > .zero {
                let until = now + min(retryAfter, configuration.maximumPause)
                endpoint.pausedUntil = max(endpoint.pausedUntil ?? until, until)
            }
        case .failure:
            endpoint.breaker.record(failed: true, now: now)
            endpoint.unavailable = false
        }
        if case .closed = endpoint.breaker.state, wasProbing {
            endpoint.unavailable = false
            // The backlog is about to be due at once: start it from a few requests in flight and let the
            // adaptive limit grow (by one per healthy answer), rather than at full concurrency.
            endpoint.limit = min(endpoint.limit, Self.recoveryConcurrency)
            recovered.insert(limits.endpoint)
        }
        endpoints[limits.endpoint] = endpoint
    }

    /// Whether the subscription's quota is the early probe of an endpoint whose breaker is open after the
    /// receiver stopped answering: the probe may take a delivery whose next attempt is not yet due
    /// (the oldest), so that the receiver's return is noticed within one cool-down whatever the schedule.
    public func probesEarly(_ limits: SubscriptionLimits) -> Bool {
        guard let endpoint = endpoints[limits.endpoint], endpoint.unavailable else { return false }
        if case .closed = endpoint.breaker.state { return false }
        return true
    }

    /// The endpoints whose breaker closed again (its probes succeeded) since the last call: their
    /// waiting retries should be made due, so that the backlog drains at once.
    /// The claims held back by a `rate_per_minute` since the last call, per subscription.
    public mutating func takeRateLimitWaits() -> [String: Int] {
        defer { rateLimitWaits.removeAll() }
        return rateLimitWaits
    }

    public mutating func takeRecovered() -> Set<String> {
        defer { recovered.removeAll() }
        return recovered
    }

    /// Gives back endpoints taken with ``takeRecovered()`` whose retries could not be brought forward.
    public mutating func restoreRecovered(_ endpoints: Set<String>) {
        recovered.formUnion(endpoints)
    }

    /// The concurrency limit an endpoint restarts from when its breaker closes again.
    static let recoveryConcurrency = 16

    /// Frees a slot kept by ``finished(_:signal:keepSlot:now:)``.
    public mutating func release(_ subscription: String) {
        if var state = subscriptions[subscription] {
            state.inFlight = max(0, state.inFlight - 1)
            subscriptions[subscription] = state
        }
    }

    /// Requests in flight for a subscription (claimed and not yet released).
    public func inFlight(_ subscription: String) -> Int { subscriptions[subscription]?.inFlight ?? 0 }

    /// The breaker state of an endpoint.
    public func breakerState(_ endpoint: String) -> CircuitBreaker.State {
        endpoints[endpoint]?.breaker.state ?? .closed
    }

    /// The adaptive concurrency limit of an endpoint.
    public func concurrencyLimit(_ endpoint: String) -> Int {
        endpoints[endpoint]?.limit ?? configuration.endpointConcurrency
    }
}
