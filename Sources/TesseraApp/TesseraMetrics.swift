import Foundation
import Metrics
import Prometheus
import TesseraDelivery
import TesseraInvalidation

/// The process's metrics backend: swift-metrics recorded into one Prometheus registry, which the
/// admin API's `/metrics` exports.
public enum TesseraMetrics {
    /// Makes a registry the backend of swift-metrics for the whole process and returns it. Call once,
    /// at the start of `tessera serve` (swift-metrics allows one bootstrap per process).
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(factory(registry))
        return registry
    }

    /// The factory: Tessera's histogram buckets, and names with dots (Hummingbird's
    /// `http.server.request.duration`) written with underscores as Prometheus wants.
    static func factory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets = [
            "tessera_delivery_latency_seconds": DeliveryMetrics.latencyBuckets,
            "tessera_window_age_at_flush_seconds": InvalidationMetrics.windowAgeBuckets,
            "tessera_payload_items": InvalidationMetrics.payloadItemBuckets,
        ]
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        factory.nameAndLabelSanitizer = { name, labels in
            (
                name.replacingOccurrences(of: ".", with: "_"),
                labels.map { ($0.0.replacingOccurrences(of: ".", with: "_"), $0.1) }
            )
        }
        return factory
    }
}
