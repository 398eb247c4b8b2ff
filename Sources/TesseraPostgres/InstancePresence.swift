import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle

/// Who this process is, as `tessera.instances` records it.
public struct InstanceIdentity: Sendable, Hashable {
    public let id: UUID
    public let hostname: String
    public let pid: Int32
    public let version: String

    public init(
        id: UUID = UUID(),
        hostname: String = ProcessInfo.processInfo.hostName,
        pid: Int32 = ProcessInfo.processInfo.processIdentifier,
        version: String
    ) {
        self.id = id
        self.hostname = hostname
        self.pid = pid
        self.version = version
    }
}

/// Keeps this instance known to the database for as long as it runs: a row in `tessera.instances` and a
/// session-level advisory lock held on a connection of its own (`sql/009_instances.sql`).
///
/// The lock is the liveness signal: it goes with the session, so an instance killed, or whose host
/// vanished (found by ``KeepAlive``), stops holding it at once, and the others take over what it was
/// sending (TesseraDelivery's `DeliveryQueue.reclaimFromStoppedInstances`). After the connection is lost
/// (a database restart) it reconnects with ``Backoff`` and registers again. When cancelled it removes its
/// row. The dispatcher holds one for as long as it runs (``holdUntilCancelled()``), so its instance
/// stays known until its last outcome is recorded.
public struct InstancePresence: Service {
    /// The advisory lock class, 'tess' in ASCII; the second key is the instance's `lock_key`.
    public static let lockClass: Int32 = 1_952_805_747

    /// The SQL condition that the instance row `alias` holds its lock now: pg_locks, readable by any
    /// role, shows the two-key advisory lock as (classid, objid, objsubid 2).
    public static func holdsLockCondition(_ alias: String) -> String {
        """
        EXISTS (SELECT 1 FROM pg_locks l
                WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND l.classid = \(lockClass)::oid AND l.objid = \(alias).lock_key::oid)
        """
    }

    public let identity: InstanceIdentity
    let url: DatabaseURL
    let logger: Logger
    /// How often the row is asserted again (it is removed only by another instance that judged this one
    /// stopped; asserting it again makes the judgement undone).
    let reassertInterval: Duration
    let registered: Wakeup?

    /// - Parameter registered: signalled after every (re)registration (for tests).
    public init(
        identity: InstanceIdentity,
        url: DatabaseURL,
        reassertInterval: Duration = .seconds(10),
        registered: Wakeup? = nil,
        logger: Logger
    ) {
        self.identity = identity
        self.url = url
        self.reassertInterval = reassertInterval
        self.registered = registered
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.holdUntilCancelled() }
    }

    /// Registers, and keeps the registration (registering again after any loss) until cancelled.
    public func holdUntilCancelled() async {
        var backoff = Backoff()
        var lockKey: Int32?
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            var connection: PostgresConnection?
            do {
                let url = self.url
                let logger = self.logger
                let id = attempt
                let c = try await withDeadline(.seconds(20), discard: { try? await $0.close() }) {
                    try await url.connect(id: id, logger: logger)
                }
                connection = c
                let closed = Wakeup()
                c.closeFuture.whenComplete { _ in closed.signal() }
                // A statement sent just after the server closed the connection would get no answer at all.
                let failed = CloseSignal(c.closeFuture)
                lockKey = try await withDeadline(.seconds(20), failingWhen: failed, abandon: { drop(c) }) {
                    [identity, lockKey] in
                    try await Self.register(identity, lockKey: lockKey, on: c, logger: logger)
                }
                backoff.succeeded()
                logger.debug(
                    "instance registered",
                    metadata: ["instance": "\(identity.id)", "lock_key": "\(lockKey!)"]
                )
                registered?.signal()
                while !Task.isCancelled && !c.isClosed {
                    await closed.wait(timeout: reassertInterval)
                    if Task.isCancelled || c.isClosed { break }
                    try await withDeadline(.seconds(20), failingWhen: failed, abandon: { drop(c) }) {
                        [identity, lockKey] in
                        try await Self.reassert(identity, lockKey: lockKey!, on: c, logger: logger)
                    }
                }
                if Task.isCancelled {
                    // Leaving gracefully: the dispatcher has recorded what it sent. In a task of its own, which
                    // the shutdown's cancellation does not reach.
                    await Task { [identity] in
                        _ = try? await withDeadline(.seconds(2), abandon: { drop(c) }) {
                            try await c.perform(
                                "DELETE FROM tessera.instances WHERE id = \(identity.id)",
                                logger: logger
                            )
                        }
                        try? await c.close()
                    }.value
                    return
                }
                throw ConnectionClosed()
            } catch {
                if let connection, !connection.isClosed { drop(connection) }
                if Task.isCancelled { return }
                let delay = backoff.failed()
                logger.warning(
                    "instance registration lost; registering again",
                    metadata: ["error": "\(String(reflecting: error))", "retry_in": "\(delay)"]
                )
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Takes the lock (a new key the first time, or when another session holds this one) and writes the
    /// row; returns the key.
    static func register(
        _ identity: InstanceIdentity,
        lockKey: Int32?,
        on c: PostgresConnection,
        logger: Logger
    ) async throws -> Int32 {
        var key = lockKey
        for _ in 0..<8 {
            if key == nil {
                key = try await c.query("SELECT nextval('tessera.instance_lock_keys')::int4", logger: logger)
                    .collect().first!.decode(Int32.self)
            }
            let locked = try await c.query("SELECT pg_try_advisory_lock(\(lockClass), \(key!))", logger: logger)
                .collect().first!.decode(Bool.self)
            if locked { break }
            key = nil
        }
        guard let key else { throw DatabaseError(code: .database, message: "no free instance lock key") }
        try await c.perform(
            """
            INSERT INTO tessera.instances (id, lock_key, hostname, pid, version)
            VALUES (\(identity.id), \(key), \(identity.hostname), \(identity.pid), \(identity.version))
            ON CONFLICT (id) DO UPDATE SET lock_key = EXCLUDED.lock_key, registered_at = now(), lock_missing_since = NULL
            """,
            logger: logger
        )
        return key
    }

    /// Writes the row again if another instance removed it (it judged this one stopped while its
    /// connection was lost); leaves a present row as it is.
    static func reassert(_ identity: InstanceIdentity, lockKey: Int32, on c: PostgresConnection, logger: Logger)
        async throws
    {
        try await c.perform(
            """
            INSERT INTO tessera.instances (id, lock_key, hostname, pid, version)
            VALUES (\(identity.id), \(lockKey), \(identity.hostname), \(identity.pid), \(identity.version))
            ON CONFLICT (id) DO NOTHING
            """,
            logger: logger
        )
    }
}
