import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import TesseraCatalog
import TesseraPostgres

/// A subscription as the dispatcher sends it: compiled once per refresh from the catalog's
/// ``TesseraCatalog/Subscription`` (the URL checked against the address policy, the retry policy, the
/// signing keys), so that nothing is parsed on the hot path.
public struct DeliveryTarget: Sendable {
    public var limits: SubscriptionLimits
    /// The validated URL, or why it cannot be used.
    public var url: Result<WebhookURL, AddressPolicyError>
    public var method: HTTPMethod
    public var headers: [(String, String)]
    public var timeout: Duration
    public var retry: RetryPolicy
    public var signer: WebhookSigner
    public var output: SubscriptionOutput
    /// `http-purge`: requests in flight within one delivery, and requests a minute (nil: no limit). The
    /// scheduler then sends one delivery of the subscription at a time, unpaced: the output paces.
    public var requestConcurrency: Int
    public var requestRatePerMinute: Int?
    /// `http-purge`: the header a ban carries its expression in.
    public var banHeader: String
    /// `expire-files`: the directory, checked against the policy's roots, or why it cannot be used.
    public var directory: Result<String, AddressPolicyError>
    /// `expire-files`: files older than this are removed (0: never).
    public var retentionHours: Int
    /// The policy the target was checked against (the `expire-files` output checks again at each write).
    public var policy: AddressPolicy

    public init(
        _ subscription: Subscription,
        secrets: [[UInt8]],
        policy: AddressPolicy,
        retryAfterBounds: ClosedRange<Duration>,
        jitter: Bool
    ) {
        let settings = subscription.settings
        let checked: Result<WebhookURL, AddressPolicyError>
        var directory = Result<String, AddressPolicyError>.failure(
            AddressPolicyError(.invalidURL, subject: "url", reason: "only expire-files subscriptions write files")
        )
        do {
            if settings.output == .expireFiles {
                checked = .failure(
                    AddressPolicyError(
                        .invalidURL,
                        subject: "url",
                        reason: "an expire-files subscription sends no requests"
                    )
                )
                directory = Result(catching: { () throws(AddressPolicyError) -> String in
                    try policy.checkDirectory(settings.url)
                })
            } else if let url = try policy.checkDestination(output: settings.output, url: settings.url) {
                checked = .success(url)
            } else {
                checked = .failure(AddressPolicyError(.invalidURL, subject: "url", reason: "no URL to call"))
            }
        } catch {
            checked = .failure(error)
        }
        let endpoint: String
        switch (checked, directory) {
        case (.success(let u), _): endpoint = "\(u.scheme)://\(u.host):\(u.port)"
        case (_, .success(let path)): endpoint = "file://\(path)"
        default: endpoint = "invalid:\(subscription.key)"
        }
        self.directory = directory
        self.policy = policy
        output = settings.output
        banHeader = settings.outputOptions.banHeader
        retentionHours = settings.outputOptions.retentionHours
        requestConcurrency = settings.maxInFlight
        requestRatePerMinute = settings.ratePerMinute
        limits = SubscriptionLimits(subscription, endpoint: endpoint)
        url = checked
        method = HTTPMethod(rawValue: settings.method.rawValue)
        headers = settings.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        timeout = .milliseconds(settings.timeoutMilliseconds)
        retry = RetryPolicy(
            scheduleMilliseconds: settings.retryScheduleMilliseconds,
            retryAfterBounds: retryAfterBounds,
            jitter: jitter
        )
        signer = WebhookSigner(secrets: secrets.compactMap { try? WebhookSecret(bytes: $0) })
    }
}

extension SubscriptionLimits {
    /// The scheduler's view of a subscription.
    public init(_ subscription: Subscription, endpoint: String) {
        let settings = subscription.settings
        self.init(
            id: subscription.key,
            endpoint: endpoint,
            isActive: subscription.status == .active,
            // A purge delivery is many requests, which its output runs in parallel and paces.
            maxInFlight: settings.output == .httpPurge ? 1 : settings.maxInFlight,
            ratePerMinute: settings.output == .httpPurge ? nil : settings.ratePerMinute,
            ordered: settings.ordered
        )
    }
}

/// A delivery to enqueue: one payload for one subscription, sent by the output it names.
public struct OutgoingDelivery: Sendable {
    /// Stable across retries and replays (the `webhook-id`); receivers deduplicate on it.
    public var eventID: String
    public var subscriptionID: String
    /// `tiles.invalidated`, …
    public var eventType: String
    public var payload: [UInt8]
    public var contentType: String
    public var contentEncoding: String?
    /// The output that sends it (see ``DeliveryOutput``); `webhook` by default.
    public var output: String
    public var changeCount: Int
    /// Unix milliseconds of the first and last input in the payload.
    public var windowStartMilliseconds: Int64
    public var windowEndMilliseconds: Int64
    /// Unix milliseconds: when the pipeline first took in the payload's inputs (a window's opening), and
    /// when the payload was due (its window's close); nil where the pipeline has no such stage. Stored so
    /// that a delivery's latency splits into its stages.
    public var processedAtMilliseconds: Int64?
    public var dueAtMilliseconds: Int64?

    public init(
        eventID: String,
        subscriptionID: String,
        eventType: String,
        payload: [UInt8],
        contentType: String,
        contentEncoding: String?,
        output: String = WebhookOutput.name,
        changeCount: Int,
        windowStartMilliseconds: Int64,
        windowEndMilliseconds: Int64,
        processedAtMilliseconds: Int64? = nil,
        dueAtMilliseconds: Int64? = nil
    ) {
        self.processedAtMilliseconds = processedAtMilliseconds
        self.dueAtMilliseconds = dueAtMilliseconds
        self.eventID = eventID
        self.subscriptionID = subscriptionID
        self.eventType = eventType
        self.payload = payload
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.output = output
        self.changeCount = changeCount
        self.windowStartMilliseconds = windowStartMilliseconds
        self.windowEndMilliseconds = windowEndMilliseconds
    }
}

/// A claimed delivery, leased to this dispatcher.
public struct ClaimedDelivery: Sendable {
    public var id: Int64
    public var eventID: String
    public var subscriptionID: String
    public var payload: ByteBuffer
    public var contentType: String
    public var contentEncoding: String?
    /// The output that sends it.
    public var output: String
    /// This attempt's number, 1-based: counted when the delivery was claimed, so an attempt whose outcome
    /// was lost (its instance stopped) still counts, and the next one is numbered after it.
    public var attempt: Int
    /// When it was claimed (seconds since 1970, the database's clock): names this claim's "outcome lost"
    /// row, if it gets one.
    public var claimedAt: Double = 0
    /// Claimed before its next attempt was due, as the probe of an endpoint whose breaker is open.
    public var early = false
    /// Early probes of it that failed: attempts that do not count against its retry schedule.
    public var earlyProbes = 0
    /// When its oldest change was captured (seconds since 1970; its creation when it has no window):
    /// where `tessera_delivery_latency_seconds` starts.
    public var firstChangeAt: Double = 0

    /// The output's record of what earlier attempts did (``PurgeProgress``), nil when none.
    public var progress: [UInt8]?

    /// The attempt number the retry schedule reads: failed early probes do not count.
    public var scheduledAttempt: Int { max(1, attempt - earlyProbes) }
}

/// The stored result of one attempt.
public struct AttemptRecord: Sendable {
    public var deliveryID: Int64
    public var subscriptionID: String
    /// 1-based.
    public var attempt: Int
    public var startedAt: Date
    public var outcome: WebhookOutcome
    public var decision: DeliveryDecision
    /// When the attempt's delivery was claimed (``ClaimedDelivery/claimedAt``).
    public var claimedAt: Double = 0
    /// The attempt was an early probe (``ClaimedDelivery/early``): marked in the attempt log.
    public var earlyProbe = false
    /// Set by the dispatcher for ordered subscriptions: the slot is freed once this record is stored.
    var releasesSlotWhenStored = false

    public init(
        deliveryID: Int64,
        subscriptionID: String,
        attempt: Int,
        startedAt: Date,
        outcome: WebhookOutcome,
        decision: DeliveryDecision
    ) {
        self.deliveryID = deliveryID
        self.subscriptionID = subscriptionID
        self.attempt = attempt
        self.startedAt = startedAt
        self.outcome = outcome
        self.decision = decision
    }
}

/// `tessera.deliveries`, the durable delivery queue: the pipelines enqueue into it (in the transaction
/// that consumes their input), the dispatcher claims with a lease, records outcomes and reclaims
/// expired leases. Each function runs inside the caller's transaction (short: nothing is held across HTTP).
public enum DeliveryQueue {
    /// Writes delivery rows, due now.
    public static func enqueue(_ deliveries: [OutgoingDelivery], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        guard !deliveries.isEmpty else { return }
        for d in deliveries {
            try await connection.perform(
                """
                INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type,
                                                content_encoding, output, change_count, window_start, window_end,
                                                processed_at, due_at)
                VALUES (\(d.eventID)::uuid, \(d.subscriptionID)::uuid, \(d.eventType), \(ByteBuffer(bytes: d.payload)),
                        \(d.contentType), \(d.contentEncoding), \(d.output), \(d.changeCount),
                        to_timestamp(\(d.windowStartMilliseconds)::float8 / 1000),
                        to_timestamp(\(d.windowEndMilliseconds)::float8 / 1000),
                        to_timestamp(\(d.processedAtMilliseconds)::float8 / 1000),
                        to_timestamp(\(d.dueAtMilliseconds)::float8 / 1000))
                """,
                logger: logger
            )
        }
        // Delivered at commit, to every instance's dispatcher (the pipeline also wakes its own in process).
        try await connection.perform("SELECT pg_notify(\(channel), '')", logger: logger)
    }

    /// The channel ``enqueue(_:on:logger:)`` notifies when its transaction commits: a wake-up only
    /// (dispatchers poll too).
    public static let channel = "tessera_deliveries"

    /// Every subscription compiled for sending, with its current (unexpired) secrets, newest first.
    public static func loadTargets(
        on connection: PostgresConnection,
        policy: AddressPolicy,
        retryAfterBounds: ClosedRange<Duration>,
        jitter: Bool,
        logger: Logger
    ) async throws -> [DeliveryTarget] {
        try await SubscriptionStore.all(withSecrets: true, on: connection, logger: logger).map {
            DeliveryTarget(
                $0.subscription,
                secrets: $0.secrets,
                policy: policy,
                retryAfterBounds: retryAfterBounds,
                jitter: jitter
            )
        }
    }

    /// Claims due deliveries for the instance `instance`, at most `quota` per subscription, leasing them
    /// for `lease`, and counts the attempt about to be made (see ``ClaimedDelivery/attempt``). Claims
    /// nothing while `instance` has no row in `tessera.instances` (before it registered, or after it was
    /// judged stopped): a claim the others cannot attribute to a live instance would wait for its lease.
    ///
    /// Parallel subscriptions take their soonest-due rows; an ordered subscription takes its oldest
    /// unsettled delivery only, and only when it is due and no other delivery of it is being sent.
    /// The picked ids go through an array so that the UPDATE finds them by primary key (joining a
    /// CTE instead made the planner scan every pending row: 80 ms per claim at 50k pending).
    public static func claim(
        quotas: [(subscription: SubscriptionLimits, quota: Int)],
        early: Set<String> = [],
        lease: Duration,
        instance: UUID,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [ClaimedDelivery] {
        guard !quotas.isEmpty else { return [] }
        let ids = quotas.map(\.subscription.id)
        let counts = quotas.map(\.quota)
        let ordered = quotas.map(\.subscription.ordered)
        let anyTime = quotas.map { early.contains($0.subscription.id) }
        let leaseMilliseconds = Int64(lease.components.seconds * 1000)
        let rows = try await connection.query(
            """
            UPDATE tessera.deliveries d
            SET status = 'delivering', lease_until = now() + \(leaseMilliseconds) * interval '1 millisecond',
                attempts = d.attempts + 1, claimed_by = \(instance), claimed_at = now()
            WHERE d.status = 'pending' AND EXISTS (SELECT 1 FROM tessera.instances WHERE id = \(instance))
              AND d.id = ANY (ARRAY(
                SELECT c.id
                FROM unnest(\(ids)::uuid[], \(counts)::int4[], \(ordered)::bool[], \(anyTime)::bool[])
                     AS q(subscription_id, quota, ordered, any_time)
                CROSS JOIN LATERAL (
                    SELECT d.id FROM tessera.deliveries d
                    WHERE NOT q.ordered AND d.subscription_id = q.subscription_id
                      AND d.status = 'pending'
                      AND d.next_attempt_at <= CASE WHEN q.any_time THEN 'infinity'::timestamptz ELSE now() END
                    ORDER BY d.next_attempt_at, d.id
                    LIMIT q.quota
                    FOR UPDATE SKIP LOCKED
                ) c
                UNION ALL
                SELECT h.id
                FROM unnest(\(ids)::uuid[], \(ordered)::bool[], \(anyTime)::bool[]) AS q(subscription_id, ordered, any_time)
                CROSS JOIN LATERAL (
                    SELECT d.id, d.status, d.next_attempt_at FROM tessera.deliveries d
                    WHERE q.ordered AND d.subscription_id = q.subscription_id
                      AND d.status IN ('pending', 'delivering')
                    ORDER BY d.id
                    LIMIT 1
                ) h
                WHERE h.status = 'pending' AND (q.any_time OR h.next_attempt_at <= now())
            ))
            RETURNING d.id, d.event_id::text, d.subscription_id::text, d.payload, d.content_type, d.content_encoding,
                      d.output, d.attempts, extract(epoch FROM d.claimed_at)::float8, d.next_attempt_at > now(),
                      d.early_probes, extract(epoch FROM coalesce(d.window_start, d.created_at))::float8, d.progress
            """,
            logger: logger
        )
        var claimed: [ClaimedDelivery] = []
        for try await (
            id, eventID, subscriptionID, payload, contentType, contentEncoding, output, attempts, claimedAt, early,
            earlyProbes, firstChangeAt, progress
        )
            in rows.decode(
                (
                    Int64, String, String, ByteBuffer, String, String?, String, Int, Double, Bool, Int, Double,
                    ByteBuffer?
                )
                .self
            )
        {
            claimed.append(
                ClaimedDelivery(
                    id: id,
                    eventID: eventID,
                    subscriptionID: subscriptionID,
                    payload: payload,
                    contentType: contentType,
                    contentEncoding: contentEncoding,
                    output: output,
                    attempt: attempts,
                    claimedAt: claimedAt,
                    early: early,
                    earlyProbes: earlyProbes,
                    firstChangeAt: firstChangeAt,
                    progress: progress.map { Array(buffer: $0) }
                )
            )
        }
        return claimed
    }

    /// The deliveries of one subscription and output in one status, for the metrics.
    public struct StatusCount: Sendable, Hashable {
        public var subscriptionID: String
        public var output: String
        /// `pending`, `delivering`, `delivered` or `dead` (dead letters).
        public var status: String
        public var count: Int
        /// Seconds since the oldest of them was created (for `pending` and `delivering`: the lag).
        public var oldestAgeSeconds: Double
    }

    /// Every (subscription, output, status) that has deliveries.
    public static func statusCounts(on connection: PostgresConnection, logger: Logger) async throws -> [StatusCount] {
        let rows = try await connection.query(
            """
            SELECT subscription_id::text, output, status, count(*)::int8,
                   extract(epoch FROM now() - min(created_at))::float8
            FROM tessera.deliveries GROUP BY 1, 2, 3
            """,
            logger: logger
        )
        var result: [StatusCount] = []
        for try await (subscription, output, status, count, age) in rows.decode(
            (String, String, String, Int, Double).self
        ) {
            result.append(
                StatusCount(
                    subscriptionID: subscription,
                    output: output,
                    status: status,
                    count: count,
                    oldestAgeSeconds: age
                )
            )
        }
        return result
    }

    /// Makes the waiting retries of `subscriptions` due now (their endpoint answers again after its
    /// breaker was open); returns how many.
    public static func bringForward(subscriptions: [String], on connection: PostgresConnection, logger: Logger)
        async throws -> Int
    {
        guard !subscriptions.isEmpty else { return 0 }
        return try await connection.perform(
            """
            UPDATE tessera.deliveries SET next_attempt_at = now()
            WHERE status = 'pending' AND next_attempt_at > now() AND subscription_id = ANY (\(subscriptions)::uuid[])
            """,
            logger: logger
        )
    }

    /// Writes a batch of attempt results: the attempt log rows, the deliveries' new state, and the
    /// subscriptions disabled by a 410.
    ///
    /// A delivery's state takes an outcome only while it is still this attempt's (`attempts` names it and
    /// `instance` claimed it): an outcome that arrives after its delivery was given up on (its lease ran
    /// out, or its instance was judged stopped) still settles the delivery if nobody has claimed it again,
    /// and is otherwise logged only. Either way the real outcome replaces the attempt's "outcome lost" row.
    public static func record(
        _ records: [AttemptRecord],
        instance: UUID,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        guard !records.isEmpty else { return }
        var ids: [Int64] = []
        var attempts: [Int] = []
        var claimed: [Double] = []
        var started: [Double] = []
        var durations: [Int] = []
        var codes: [Int] = []
        var errors: [String] = []
        var bodies: [String] = []
        var bodyIsNull: [Bool] = []
        var statuses: [String] = []
        var delays: [Int64] = []
        var probes: [Bool] = []
        var keep: [Bool] = []
        var progress: [ByteBuffer] = []
        var hasProgress: [Bool] = []
        var disabled: [(String, String)] = []
        ids.reserveCapacity(records.count)
        for record in records {
            ids.append(record.deliveryID)
            attempts.append(record.attempt)
            claimed.append(record.claimedAt)
            started.append(record.startedAt.timeIntervalSince1970)
            durations.append(record.outcome.milliseconds)
            codes.append(record.outcome.statusCode ?? 0)
            errors.append(String((record.outcome.errorDescription ?? "").prefix(1000)))
            // Text columns cannot hold NUL bytes.
            let body = record.outcome.responseBody ?? ""
            bodies.append(body.utf8.contains(0) ? body.replacingOccurrences(of: "\u{0}", with: "") : body)
            bodyIsNull.append(record.outcome.responseBody == nil)
            probes.append(record.earlyProbe)
            keep.append(record.decision == .keepSchedule)
            progress.append(ByteBuffer(bytes: record.outcome.progress ?? []))
            hasProgress.append(record.outcome.progress != nil)
            switch record.decision {
            case .delivered:
                statuses.append("delivered")
                delays.append(0)
            case .retry(let delay):
                statuses.append("pending")
                delays.append(delay.wholeMilliseconds)
            case .keepSchedule:
                statuses.append("pending")
                delays.append(0)
            case .dead:
                statuses.append("dead")
                delays.append(0)
            case .disableSubscription(let reason):
                statuses.append("pending")
                delays.append(0)
                disabled.append((record.subscriptionID, reason))
            }
        }
        // The deliveries first: the UPDATE locks them, so a delivery deleted meanwhile (its
        // subscription deleted) waits for this transaction and its trigger then deletes these attempts.
        try await connection.perform(
            """
            UPDATE tessera.deliveries d SET
                status = r.status,
                attempts = r.attempt,
                next_attempt_at = CASE WHEN r.status = 'pending' AND NOT r.keep
                                       THEN now() + r.delay * interval '1 millisecond' ELSE d.next_attempt_at END,
                early_probes = d.early_probes + CASE WHEN r.keep THEN 1 ELSE 0 END,
                lease_until = NULL,
                last_error = NULLIF(r.error, ''),
                last_status_code = NULLIF(r.code, 0),
                delivered_at = CASE WHEN r.status = 'delivered' THEN now() ELSE d.delivered_at END,
                dead_at = CASE WHEN r.status = 'dead' THEN now() ELSE NULL END,
                progress = CASE WHEN r.has_progress THEN r.progress ELSE d.progress END
            FROM unnest(\(ids)::int8[], \(statuses)::text[], \(attempts)::int4[], \(delays)::int8[], \(errors)::text[],
                        \(codes)::int4[], \(keep)::bool[], \(progress)::bytea[], \(hasProgress)::bool[])
                 AS r(id, status, attempt, delay, error, code, keep, progress, has_progress)
            WHERE d.id = r.id AND d.attempts = r.attempt AND d.claimed_by = \(instance)
              AND d.status IN ('delivering', 'pending')
            """,
            logger: logger
        )
        // The attempt's "outcome lost" row, if it was given up on (after the UPDATE, which waited for any
        // reclaim of these deliveries to commit). The row of this very claim (it starts at the claim), not
        // one of an earlier series that had the same attempt number before a replay.
        try await connection.perform(
            """
            DELETE FROM tessera.delivery_attempts a
            USING unnest(\(ids)::int8[], \(attempts)::int4[], \(claimed)::float8[]) AS r(id, attempt, claimed)
            WHERE a.delivery_id = r.id AND a.attempt = r.attempt AND a.outcome_lost
              AND abs(extract(epoch FROM a.started_at) - r.claimed) < 0.001
            """,
            logger: logger
        )
        try await connection.perform(
            """
            INSERT INTO tessera.delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error,
                                                   response_body, probe)
            SELECT r.id, r.attempt, to_timestamp(r.started), r.duration, NULLIF(r.code, 0), NULLIF(r.error, ''),
                   CASE WHEN r.no_body THEN NULL ELSE r.body END, r.probe
            FROM tessera.deliveries d
            JOIN unnest(\(ids)::int8[], \(attempts)::int4[], \(started)::float8[], \(durations)::int4[],
                        \(codes)::int4[], \(errors)::text[], \(bodies)::text[], \(bodyIsNull)::bool[], \(probes)::bool[])
                 AS r(id, attempt, started, duration, code, error, body, no_body, probe) ON d.id = r.id
            """,
            logger: logger
        )
        for (subscription, reason) in disabled {
            guard let id = UUID(uuidString: subscription) else { continue }
            try await SubscriptionStore.disable(id, reason: reason, on: connection, logger: logger)
        }
    }

    /// Returns deliveries whose lease ran out (their instance hung, or was cut off from the database) to
    /// the queue, each with an attempt-log row saying its outcome was lost (`tessera.requeue_lost`);
    /// returns how many.
    public static func reclaimExpiredLeases(on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await requeueLost(
            "SELECT id FROM tessera.deliveries WHERE status = 'delivering' AND lease_until < now()",
            why: "outcome lost: no outcome was recorded before the lease ran out",
            on: connection,
            logger: logger
        )
    }

    /// What ``reclaimFromStoppedInstances(grace:alive:on:logger:)`` did.
    public struct StoppedInstances: Sendable, Equatable {
        /// The instances judged stopped (their rows are removed), as "host pid N".
        public var instances: [String] = []
        /// Their deliveries returned to the queue.
        public var deliveries = 0
    }

    /// Returns the deliveries of every instance that stopped to the queue at once, each with an
    /// attempt-log row saying its outcome was lost, and removes those instances' rows.
    ///
    /// An instance has stopped when its advisory lock (`sql/009_instances.sql`), which goes with its
    /// session, has been seen missing for `grace`: the first call that sees it missing notes the time,
    /// and a call at least `grace` later judges it (with `grace` zero, the first). The grace covers what
    /// also takes every lock away from live instances for a moment: a database restart, a failover, a
    /// cut connection. The caller's own instance, `alive`, is never judged.
    public static func reclaimFromStoppedInstances(
        grace: Duration,
        alive: UUID,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> StoppedInstances {
        let graceMilliseconds = grace.wholeMilliseconds
        let holds = InstancePresence.holdsLockCondition("i")
        // Note when a lock went missing, and forget it when it is held again; rows that change only.
        try await connection.perform(
            """
            UPDATE tessera.instances i SET lock_missing_since = CASE WHEN h.holds THEN NULL ELSE now() END
            FROM (SELECT i.id, \(unescaped: holds) AS holds FROM tessera.instances i) h
            WHERE h.id = i.id AND i.id <> \(alive) AND h.holds = (i.lock_missing_since IS NOT NULL)
            """,
            logger: logger
        )
        let rows = try await connection.query(
            """
            DELETE FROM tessera.instances i
            WHERE i.id <> \(alive)
              AND i.lock_missing_since <= now() - \(graceMilliseconds) * interval '1 millisecond'
              AND NOT \(unescaped: holds)
            RETURNING i.id, i.hostname, i.pid
            """,
            logger: logger
        )
        var stopped: [(UUID, String)] = []
        for try await (id, hostname, pid) in rows.decode((UUID, String, Int32).self) {
            stopped.append((id, "\(hostname) pid \(pid)"))
        }
        var result = StoppedInstances()
        for (id, name) in stopped {
            result.instances.append(name)
            result.deliveries += try await requeueLost(
                "SELECT id FROM tessera.deliveries WHERE status = 'delivering' AND claimed_by = '\(id.uuidString)'",
                why: "outcome lost: the sending instance stopped (\(name))",
                on: connection,
                logger: logger
            )
        }
        return result
    }

    /// An instance leaving: what it still has in flight (outcomes it could not record) goes back to the
    /// queue as lost, and its row is removed; returns how many deliveries.
    public static func leave(_ instance: InstanceIdentity, on connection: PostgresConnection, logger: Logger)
        async throws -> Int
    {
        try await connection.perform("DELETE FROM tessera.instances WHERE id = \(instance.id)", logger: logger)
        return try await requeueLost(
            "SELECT id FROM tessera.deliveries WHERE status = 'delivering' AND claimed_by = '\(instance.id.uuidString)'",
            why:
                "outcome lost: the sending instance stopped before recording it (\(instance.hostname) pid \(instance.pid))",
            on: connection,
            logger: logger
        )
    }

    /// `tessera.requeue_lost` of the deliveries `select` (a trusted query of ids) finds.
    private static func requeueLost(
        _ select: String,
        why: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int {
        try await connection.query(
            "SELECT tessera.requeue_lost(ARRAY(\(unescaped: select)), \(why))",
            logger: logger
        ).collect().first?.decode(Int.self) ?? 0
    }
}
