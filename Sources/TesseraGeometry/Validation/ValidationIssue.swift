/// One reason a geometry is invalid, with where it is.
public struct ValidationIssue: Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem this is. Compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case nonFinite, longitudeOutOfRange, latitudeOutOfRange, tooFewPoints, unclosedRing, topology
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A coordinate is NaN or infinite.
        public static let nonFinite = Code(.nonFinite)
        /// A longitude outside [-180, 180].
        public static let longitudeOutOfRange = Code(.longitudeOutOfRange)
        /// A latitude outside [-90, 90].
        public static let latitudeOutOfRange = Code(.latitudeOutOfRange)
        /// A line with fewer than 2 positions or a ring with fewer than 4.
        public static let tooFewPoints = Code(.tooFewPoints)
        /// A ring whose last position differs from its first.
        public static let unclosedRing = Code(.unclosedRing)
        /// A GEOS validity failure (self-intersection, hole outside shell, ...); the reason is GEOS's.
        public static let topology = Code(.topology)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// Human-readable, e.g. "Self-intersection" or "latitude 91 is outside [-90, 90]".
    public let reason: String
    /// Where in the geometry, e.g. `polygons[1].rings[0][3]`; empty when GEOS reports a location only.
    public let path: String
    /// The position at fault, when known.
    public let location: Position?

    public init(code: Code, reason: String, path: String, location: Position?) {
        self.code = code
        self.reason = reason
        self.path = path
        self.location = location
    }

    public var description: String {
        var s = reason
        if !path.isEmpty { s += " at \(path)" }
        if let location { s += " \(location)" }
        return s
    }
}
