import Foundation
import Metrics

/// The dispatcher's metrics, per subscription and output (the label sets are bounded by the
/// subscriptions and endpoints configured). Names and labels are the README's "Metrics" table.
public enum DeliveryMetrics {
    /// Buckets of `tessera_delivery_latency_seconds`: from a change's capture to the receiver's 2xx.
    public static let latencyBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 21600]

    /// The class of an attempt's outcome: `2xx`, `3xx`, `4xx`, `5xx`, `timeout`, `connection` or
    /// `refused_address` (the SSRF policy refused the address).
    public static func outcomeClass(_ outcome: WebhookOutcome) -> String {
        switch outcome.failure {
        case .refused: return "refused_address"
        case .timeout: return "timeout"
        case .transport: return "connection"
        case nil: break
        }
        switch outcome.statusCode ?? 0 {
        case 200..<300: return "2xx"
        case 300..<400: return "3xx"
        case 400..<500: return "4xx"
        default: return "5xx"
        }
    }

    static func inFlight(output: String) -> Meter {
        Meter(label: "tessera_requests_in_flight", dimensions: [("output", output)])
    }

    /// Accounts one finished attempt.
    static func attempted(_ delivery: ClaimedDelivery, outcome: WebhookOutcome, decision: DeliveryDecision, now: Date) {
        let labels = [("subscription", delivery.subscriptionID), ("output", delivery.output)]
        Counter(label: "tessera_delivery_attempts_total", dimensions: labels + [("outcome", outcomeClass(outcome))])
            .increment()
        switch decision {
        case .delivered:
            Counter(label: "tessera_deliveries_delivered_total", dimensions: labels).increment()
            Recorder(label: "tessera_delivery_latency_seconds", dimensions: labels)
                .record(max(0, now.timeIntervalSince1970 - delivery.firstChangeAt))
        case .dead:
            Counter(label: "tessera_dead_letters_added_total", dimensions: labels).increment()
        case .retry, .keepSchedule, .disableSubscription:
            break
        }
    }

    /// `tessera_breaker_state{endpoint}`: 0 closed, 1 half-open, 2 open.
    static func breaker(_ endpoint: String, state: CircuitBreaker.State) {
        let value: Int
        switch state {
        case .closed: value = 0
        case .halfOpen: value = 1
        case .open: value = 2
        }
        Gauge(label: "tessera_breaker_state", dimensions: [("endpoint", endpoint)]).record(value)
    }

    static func rateLimitWaits(_ waits: [String: Int]) {
        for (subscription, count) in waits {
            Counter(label: "tessera_rate_limit_waits_total", dimensions: [("subscription", subscription)])
                .increment(by: count)
        }
    }
}
