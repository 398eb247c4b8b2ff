/// A way of sending a claimed delivery: the webhook today; cache purges and expire files are to be
/// its siblings under `Outputs/`.
///
/// The dispatcher owns everything around a send (claiming, limits, breaker, retries, the attempt
/// log); an output only turns one delivery into its effect and reports the outcome. `send` is the
/// hot path: it must not block, and calls `completion` exactly once, possibly on another thread.
public protocol DeliveryOutput: Sendable {
    /// The name a delivery row gives in `tessera.deliveries.output`.
    var name: String { get }

    /// Sends attempt number `attempt` (1-based) of `delivery` for the subscription `target`.
    func send(
        _ delivery: ClaimedDelivery,
        attempt: Int,
        to target: DeliveryTarget,
        completion: @escaping @Sendable (WebhookOutcome) -> Void
    )
}
