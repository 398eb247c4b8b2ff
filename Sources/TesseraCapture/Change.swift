import TesseraGeometry

/// One captured feature edit: an element of a `tessera.outbox` row, with the feature's
/// current state read from its table when the change was claimed.
public struct Change: Sendable {
    public enum Operation: String, Sendable {
        case insert = "I"
        case update = "U"
        case delete = "D"
        /// The whole table was truncated: every tile of its layers is stale.
        case truncate = "T"
    }

    /// The outbox row times 2^24 plus the feature's place in it (as the `tessera.changes` view shows).
    public let id: Int64
    public let table: String
    public let layers: [String]
    public let featureID: String?
    public let operation: Operation
    /// The geometry before the edit, EWKB in EPSG:4326, or nil (insert, NULL geometry, truncate).
    public let oldEWKB: [UInt8]?
    /// The feature's geometry now, EWKB in EPSG:4326, or nil (deleted since, NULL geometry).
    public let newEWKB: [UInt8]?
    /// Hashes of the rendering columns before the edit and now (nil when unknown or gone).
    public let oldRenderHash: Int64?
    public let newRenderHash: Int64?
    /// When the trigger ran, Unix milliseconds (database clock).
    public let capturedAtMilliseconds: Int64

    /// The outbox row this change belongs to.
    public var outboxID: Int64 { id >> 24 }

    public init(
        id: Int64,
        table: String,
        layers: [String],
        featureID: String?,
        operation: Operation,
        oldEWKB: [UInt8]?,
        newEWKB: [UInt8]?,
        oldRenderHash: Int64? = nil,
        newRenderHash: Int64? = nil,
        capturedAtMilliseconds: Int64
    ) {
        self.id = id
        self.table = table
        self.layers = layers
        self.featureID = featureID
        self.operation = operation
        self.oldEWKB = oldEWKB
        self.newEWKB = newEWKB
        self.oldRenderHash = oldRenderHash
        self.newRenderHash = newRenderHash
        self.capturedAtMilliseconds = capturedAtMilliseconds
    }

    /// True for an update that changed nothing that renders: the same geometry bytes and the
    /// same hash of the rendering columns, before and now.
    public var isNoOp: Bool {
        operation == .update && oldRenderHash != nil && oldRenderHash == newRenderHash && oldEWKB == newEWKB
    }
}
