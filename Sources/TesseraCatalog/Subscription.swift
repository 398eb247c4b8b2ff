import Foundation
import TesseraGeometry

/// What a subscription receives.
public enum SubscriptionKind: String, Hashable, Sendable, CaseIterable {
    /// Tile invalidations of the layers it names.
    case tiles

    /// Kinds planned but not built yet: refused with a message saying so.
    public static let planned = ["features", "sensors", "geofences"]
}

/// How a payload is written on the wire.
public enum PayloadFormat: String, Hashable, Sendable, CaseIterable {
    /// `application/json`.
    case json
    /// `text/plain`: one `z/x/y` per line, the expire-list format.
    case zxy
    /// `application/x-protobuf`.
    case protobuf
}

/// How a payload's bytes are compressed on the wire (`Content-Encoding`).
public enum PayloadCompression: String, Hashable, Sendable, CaseIterable {
    case none
    case zstd
    case gzip

    /// The `Content-Encoding` header value, or nil for none.
    public var contentEncoding: String? { self == .none ? nil : rawValue }
}

/// What a window with more tiles than the subscription's `max_tiles` becomes.
public enum RollUp: String, Hashable, Sendable, CaseIterable {
    /// Over the cap, zooms are replaced by ancestors (purge their descendants).
    case parents
    /// Over the cap, the window is sent as several events of at most the cap each.
    case split
}

/// The HTTP method of a delivery's requests (each output allows some: ``SubscriptionOutput/methods``).
public enum WebhookMethod: String, Hashable, Sendable, CaseIterable {
    case POST, PUT, PATCH, PURGE, DELETE, BAN
}

/// Whether a subscription is sent to.
public enum SubscriptionStatus: String, Hashable, Sendable, CaseIterable {
    /// Its windows are gathered and its deliveries sent.
    case active
    /// Its windows are gathered and its deliveries wait (resumed through the API).
    case paused
    /// Nothing is gathered for it; the dispatcher disables a subscription whose receiver answered 410.
    case disabled
}

/// What a subscriber asks for: every setting of a subscription, with its default, whether it comes
/// from the API or the configuration file (both read it with ``SubscriptionDefinition/read(_:creating:)``).
///
/// The allowed values are the enums' cases and ``SubscriptionDefinition/Bounds``; the database's
/// CHECK constraints are the last line.
public struct SubscriptionDefinition: Sendable, Hashable {
    public var name: String
    /// The webhook's URL; the tile URL template of `http-purge`; the `file:` directory of `expire-files`.
    public var url: String
    public var output = SubscriptionOutput.webhook
    /// One of the output's ``SubscriptionOutput/methods``: POST for a webhook, PURGE for `http-purge`
    /// unless given (changing the output resets it to the new output's default).
    public var method = WebhookMethod.POST
    public var outputOptions = OutputOptions()
    /// Custom request headers sent with every delivery (see ``CustomHeaders``).
    public var headers: [String: String] = [:]
    public var kind = SubscriptionKind.tiles
    public var layers: [String]
    /// Only changes intersecting this area (WGS84) are delivered; nil means everywhere.
    public var filter: Geometry?
    public var format = PayloadFormat.json
    public var compression = PayloadCompression.none
    public var debounceMilliseconds = 1000
    public var maxDelayMilliseconds = 10000
    public var maxTiles = 100_000
    public var rollUp = RollUp.parents
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
    public var status: SubscriptionStatus
    /// Why the dispatcher disabled the subscription (a 410 from the receiver, say).
    public var disabledReason: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID,
        tenant: String,
        settings: SubscriptionDefinition,
        status: SubscriptionStatus = .active,
        disabledReason: String? = nil,
        createdAt: Date = Date(),
        updatedAt: Date = Date()
    ) {
        self.id = id
        self.tenant = tenant
        self.settings = settings
        self.status = status
        self.disabledReason = disabledReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The id as PostgreSQL writes it (`id::text`, lower case): in payloads, lock keys and logs.
    public var key: String { id.uuidString.lowercased() }
}

/// A signing secret of a subscription: the raw bytes and until when it signs (nil: current).
public struct SubscriptionSecret: Sendable, Hashable {
    public var bytes: [UInt8]
    public var createdAt: Date
    public var expiresAt: Date?

    public init(bytes: [UInt8], createdAt: Date, expiresAt: Date?) {
        self.bytes = bytes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
