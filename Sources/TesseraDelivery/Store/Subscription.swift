import Foundation
import TesseraGeometry

/// What a subscriber asks for: everything of a subscription a client may set.
///
/// Values are checked by the API before they reach the store (see `TesseraServer`); the
/// database's CHECK constraints are the last line.
public struct SubscriptionDefinition: Sendable, Hashable {
    public var name: String
    public var url: String
    /// POST, PUT or PATCH.
    public var method = "POST"
    /// Custom request headers sent with every delivery.
    public var headers: [String: String] = [:]
    /// What the subscription receives; only `tiles` exists so far.
    public var kind = "tiles"
    public var layers: [String]
    /// Only changes intersecting this area (WGS84) are delivered; nil means everywhere.
    public var filter: Geometry?
    /// `json`, `zxy` or `protobuf`.
    public var format = "json"
    /// `none`, `zstd` or `gzip`.
    public var compression = "none"
    public var debounceMilliseconds = 1000
    public var maxDelayMilliseconds = 10000
    public var maxTiles = 100_000
    /// `parents` or `split`.
    public var rollUp = "parents"
    public var timeoutMilliseconds = 30000
    /// Deliveries per minute at most; nil for no limit.
    public var ratePerMinute: Int?
    /// Concurrent requests at most.
    public var maxInFlight = 4
    /// One delivery in flight at a time, in order.
    public var ordered = false
    /// Delays before the 2nd, 3rd, … attempt; its length + 1 is the number of attempts.
    public var retryScheduleMilliseconds = SubscriptionDefinition.defaultRetrySchedule

    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h: the Standard Webhooks suggestion (7 attempts in all).
    public static let defaultRetrySchedule = [5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000]

    public init(name: String, url: String, layers: [String]) {
        self.name = name
        self.url = url
        self.layers = layers
    }
}

/// A stored subscription of one tenant.
public struct Subscription: Sendable, Hashable {
    public var id: UUID
    public var tenant: String
    public var settings: SubscriptionDefinition
    /// `active`, `paused` or `disabled`.
    public var status: String
    /// Why the dispatcher disabled the subscription (a 410 from the receiver, say).
    public var disabledReason: String?
    public var createdAt: Date
    public var updatedAt: Date
}

/// A signing secret of a subscription: the raw bytes and until when it signs (nil: current).
public struct SubscriptionSecret: Sendable, Hashable {
    public var bytes: [UInt8]
    public var createdAt: Date
    public var expiresAt: Date?
}
