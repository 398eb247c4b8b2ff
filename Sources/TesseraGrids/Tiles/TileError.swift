/// A tile request that cannot be answered: an unknown tile matrix set, a zoom it does not
/// define, a malformed buffer or zoom range, or a definition file that is not OGC TMS 2.0.
public struct TileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem this is. Compare with the static members.
    public struct Code: Hashable, Sendable {
        private enum Base: Hashable, Sendable {
            case unknownTileMatrixSet, invalidDefinition, unsupportedCRS, zoomOutOfRange, invalidZoomRange
            case invalidBuffer, invalidTile, invalidQuadkey, notAQuadtree, invalidGeometry
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let unknownTileMatrixSet = Code(.unknownTileMatrixSet)
        public static let invalidDefinition = Code(.invalidDefinition)
        public static let unsupportedCRS = Code(.unsupportedCRS)
        public static let zoomOutOfRange = Code(.zoomOutOfRange)
        public static let invalidZoomRange = Code(.invalidZoomRange)
        public static let invalidBuffer = Code(.invalidBuffer)
        public static let invalidTile = Code(.invalidTile)
        public static let invalidQuadkey = Code(.invalidQuadkey)
        public static let notAQuadtree = Code(.notAQuadtree)
        /// A coordinate is NaN or infinite, so no tile can be said to hold it.
        public static let invalidGeometry = Code(.invalidGeometry)
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
