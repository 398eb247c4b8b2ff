import Metrics

/// The metrics of the dedicated connections of the service loops (processor, flusher, dispatcher,
/// listener): how often they connect, fail to, and are dropped after an error. A reconnect is every
/// connect after a loop's first; `tessera_db_connects_total` rising steadily means the database keeps
/// going away.
public enum ConnectionMetrics {
    /// `tessera_db_connects_total{result="ok"|"failed"}`.
    public static func connects(failed: Bool) -> Counter {
        Counter(label: "tessera_db_connects_total", dimensions: [("result", failed ? "failed" : "ok")])
    }

    /// `tessera_db_connections_dropped_total`: a connection given up after an error or a deadline.
    public static var dropped: Counter { Counter(label: "tessera_db_connections_dropped_total") }
}
