import Foundation

/// What to do with a delivery after one attempt. A plain value; the dispatcher writes it to the database.
public enum DeliveryDecision: Sendable, Hashable {
    /// A 2xx answer: done.
    case delivered
    /// Try again after `delay` (measured from now, by the database's clock).
    case retry(after: Duration)
    /// The last attempt of the schedule failed: to the dead-letter queue.
    case dead
    /// An early probe (sent before its next attempt was due, while its endpoint's breaker was open)
    /// found the endpoint still down: the delivery stays pending as it was scheduled, and the attempt
    /// does not count against its schedule.
    case keepSchedule
    /// The receiver answered 410 Gone: the subscription is disabled with `reason`; the delivery stays
    /// pending (due at once) so that nothing is lost if the subscription is enabled again.
    case disableSubscription(reason: String)
}

/// How a failed attempt affects the endpoint, besides the delivery's own retry.
public enum EndpointSignal: Sendable, Hashable {
    /// The endpoint answered (any status but the ones below): it is up.
    case healthy
    /// 429: the endpoint is overloaded; send less (optionally not before `retryAfter`).
    case slowDown(retryAfter: Duration?)
    /// No answer from the receiver itself: the connection failed or timed out, or a gateway in front of
    /// it answered 502, 503 or 504. Counts against the circuit breaker, and while the breaker is open the
    /// endpoint is probed early (see ``DeliveryDecision/keepSchedule``); 502 and 504 also send less, and
    /// a `Retry-After` pauses the endpoint.
    case unavailable(retryAfter: Duration?, overloaded: Bool)
    /// Any other 5xx: the receiver answered but failed. Counts against the circuit breaker.
    case failure
}

/// The retry schedule of a subscription: exponential steps (`retry_schedule_ms`), full jitter, and
/// `Retry-After` honoured within bounds. Pure: the random source and the current time are injected.
public struct RetryPolicy: Sendable, Hashable {
    /// Delay before attempt 2, 3, …; a delivery gets `schedule.count + 1` attempts in all.
    public var schedule: [Duration]
    /// A `Retry-After` shorter or longer than this is clamped into it.
    public var retryAfterBounds: ClosedRange<Duration>
    /// Full jitter: each delay is drawn uniformly from `[0, step]`. Off gives the schedule exactly.
    public var jitter: Bool

    /// The Standard Webhooks suggestion: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h (7 attempts).
    public static let standardSchedule: [Duration] = [
        .seconds(5), .seconds(300), .seconds(1800), .seconds(7200), .seconds(18000), .seconds(36000),
    ]

    public init(
        schedule: [Duration] = RetryPolicy.standardSchedule,
        retryAfterBounds: ClosedRange<Duration> = .zero ... .seconds(3600),
        jitter: Bool = true
    ) {
        self.schedule = schedule
        self.retryAfterBounds = retryAfterBounds
        self.jitter = jitter
    }

    /// From `tessera.subscriptions.retry_schedule_ms`.
    public init(
        scheduleMilliseconds: [Int],
        retryAfterBounds: ClosedRange<Duration> = .zero ... .seconds(3600),
        jitter: Bool = true
    ) {
        self.init(
            schedule: scheduleMilliseconds.map { .milliseconds(max(0, $0)) },
            retryAfterBounds: retryAfterBounds,
            jitter: jitter
        )
    }

    public var maximumAttempts: Int { schedule.count + 1 }

    /// The decision after attempt number `attempt` (1-based) ended with `outcome`.
    /// - Parameters:
    ///   - now: the wall-clock time, to read an HTTP-date `Retry-After`.
    ///   - random: a fraction in [0, 1) for the jitter.
    public func decide(attempt: Int, outcome: WebhookOutcome, now: Date, random: Double) -> DeliveryDecision {
        if outcome.isSuccess {
            return .delivered
        }
        if outcome.statusCode == 410 {
            return .disableSubscription(reason: "the receiver answered 410 Gone (attempt \(attempt))")
        }
        guard attempt < maximumAttempts else {
            return .dead
        }
        let step = schedule[max(0, min(attempt - 1, schedule.count - 1))]
        var delay = jitter ? step * min(max(random, 0), 1) : step
        if let retryAfter = outcome.retryAfter.flatMap({ RetryPolicy.parseRetryAfter($0, now: now) }) {
            delay = min(max(retryAfter, retryAfterBounds.lowerBound), retryAfterBounds.upperBound)
        }
        return .retry(after: delay)
    }

    /// What the attempt says about the endpoint.
    public static func signal(for outcome: WebhookOutcome, now: Date) -> EndpointSignal {
        if let code = outcome.statusCode {
            let retryAfter = outcome.retryAfter.flatMap { parseRetryAfter($0, now: now) }
            switch code {
            case 429:
                return .slowDown(retryAfter: retryAfter)
            case 502, 503, 504:
                return .unavailable(retryAfter: retryAfter, overloaded: code != 503)
            case 500...599:
                return .failure
            default:
                return .healthy
            }
        }
        if case .refused = outcome.failure {
            // The address is not allowed; the endpoint's health is not the question.
            return .healthy
        }
        return .unavailable(retryAfter: nil, overloaded: false)
    }

    /// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); nil when unreadable.
    public static func parseRetryAfter(_ text: String, now: Date) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed) {
            return seconds >= 0 ? .seconds(seconds) : nil
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        let seconds = date.timeIntervalSince(now)
        return .milliseconds(Int64(max(0, seconds) * 1000))
    }
}
