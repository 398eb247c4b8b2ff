import Foundation

/// A row of the delivery queue as the delivery log and the dead-letter queue show it.
public struct DeliveryRecord: Sendable, Hashable {
    public var id: Int64
    /// The `webhook-id` header: stable across retries, redelivery and replay.
    public var eventID: UUID
    public var subscriptionID: UUID
    public var eventType: String
    /// `pending`, `delivering`, `delivered` or `dead`.
    public var status: String
    /// Attempts made since the delivery was queued (or last requeued).
    public var attempts: Int
    public var lastStatusCode: Int?
    public var lastError: String?
    /// Duration of the latest attempt, in milliseconds.
    public var latencyMilliseconds: Int?
    public var contentType: String
    public var contentEncoding: String?
    public var payloadBytes: Int
    public var changeCount: Int
    public var windowStart: Date?
    public var windowEnd: Date?
    public var createdAt: Date
    public var nextAttemptAt: Date
    public var deliveredAt: Date?
    public var deadAt: Date?
}

/// One HTTP attempt of a delivery.
public struct DeliveryAttemptRecord: Sendable, Hashable {
    public var attempt: Int
    public var startedAt: Date
    public var durationMilliseconds: Int
    public var statusCode: Int?
    public var error: String?
    /// The start of the receiver's answer, as the dispatcher kept it.
    public var responseBody: String?
    /// The request was (or may have been) sent, but its outcome is not known: its instance stopped, or
    /// its lease ran out. `error` says which.
    public var outcomeLost = false
    /// An early probe of an endpoint whose breaker was open: sent before the delivery's next attempt was
    /// due; when it failed, it did not count against the delivery's schedule.
    public var probe = false
}

/// A delivery with its whole attempt history, oldest attempt first.
public struct DeliveryWithAttempts: Sendable, Hashable {
    public var delivery: DeliveryRecord
    public var attempts: [DeliveryAttemptRecord]
}

/// Dead letters of a tenant, counted.
public struct DeadLetterStats: Sendable, Hashable {
    public struct PerSubscription: Sendable, Hashable {
        public var subscriptionID: UUID
        public var name: String
        public var count: Int
        public var oldest: Date
        public var newest: Date
    }
    public var total: Int
    public var oldest: Date?
    public var newest: Date?
    public var subscriptions: [PerSubscription]
}
