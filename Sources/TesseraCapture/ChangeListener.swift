import Logging
import ServiceLifecycle
import TesseraPostgres

/// Wakes the pipelines that consume the outbox when the capture triggers commit changes: the
/// ``NotificationListener`` of the `tessera_changes` channel that `sql/002_watch.sql` notifies.
public struct ChangeListener: Service {
    /// The channel the statement triggers NOTIFY (a wake-up only; the outbox row is the record).
    public static let channel = "tessera_changes"

    let listener: NotificationListener

    public init(url: DatabaseURL, wakeup: Wakeup, logger: Logger) {
        listener = NotificationListener(channel: Self.channel, url: url, wakeup: wakeup, logger: logger)
    }

    public func run() async throws { try await listener.run() }
}
