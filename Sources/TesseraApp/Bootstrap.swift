import Logging
import PostgresNIO
import TesseraCapture
import TesseraCatalog

/// Writes the layers, watched tables and subscriptions a configuration file declares into
/// the database (by name; existing rows are updated, others left alone).
public enum Bootstrap {
    /// - Parameter secretOverlap: how long a subscription's previous secret keeps signing after the
    ///   file gives it a new one (as after a rotation through the API).
    public static func apply(
        layers: [LayerDefinition],
        watches: [Watch],
        subscriptions: [DeclaredSubscription],
        secretOverlap: Duration,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try await LayerDefinition.declare(layers, on: connection, logger: logger)
        try await Watch.apply(watches, on: connection, logger: logger)
        for s in subscriptions {
            let rotation = try await SubscriptionStore.declare(
                s.definition,
                tenant: s.tenant,
                secret: s.secret,
                secretOverlap: secretOverlap,
                on: connection,
                logger: logger
            )
            if let rotation, rotation.added {
                var metadata: Logger.Metadata = ["subscription": "\(s.tenant)/\(s.definition.name)"]
                if let until = rotation.previousSignUntil {
                    metadata["previous_secret_signs_until"] = "\(until)"
                }
                logger.notice("the subscription's signing secret is now the configured one", metadata: metadata)
            }
        }
    }
}
