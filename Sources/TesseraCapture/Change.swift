import TesseraGeometry

/// One captured feature edit, as the trigger wrote it to `tessera.changes`.
public struct Change: Sendable {
    public enum Operation: String, Sendable {
        case insert = "I"
        case update = "U"
        case delete = "D"
        /// The whole table was truncated: every tile of its layers is stale.
        case truncate = "T"
    }

    public let id: Int64
    public let table: String
    public let layers: [String]
    public let featureID: String?
    public let operation: Operation
    /// EWKB in EPSG:4326 as PostGIS wrote it, or nil (insert, NULL geometry, truncate).
    public let oldEWKB: [UInt8]?
    public let newEWKB: [UInt8]?
    /// The rendering columns that changed (nil when every column renders).
    public let changedColumns: [String]?
    /// When the trigger ran, Unix milliseconds (database clock).
    public let capturedAtMilliseconds: Int64

    public init(
        id: Int64,
        table: String,
        layers: [String],
        featureID: String?,
        operation: Operation,
        oldEWKB: [UInt8]?,
        newEWKB: [UInt8]?,
        changedColumns: [String]?,
        capturedAtMilliseconds: Int64
    ) {
        self.id = id
        self.table = table
        self.layers = layers
        self.featureID = featureID
        self.operation = operation
        self.oldEWKB = oldEWKB
        self.newEWKB = newEWKB
        self.changedColumns = changedColumns
        self.capturedAtMilliseconds = capturedAtMilliseconds
    }

    /// True for an update that changed nothing that renders: the same geometry bytes and no
    /// rendering column changed. The trigger already drops most of these.
    public var isNoOp: Bool {
        operation == .update && oldEWKB == newEWKB && changedColumns?.isEmpty == true
    }
}
