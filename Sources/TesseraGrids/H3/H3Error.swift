/// A refused H3 input: what was wrong, and with which field.
///
/// Compare ``code`` against the static members (`H3Error.Code.latitudeDomain`, …);
/// the set of codes may grow, so switch statements should keep a default branch.
public struct H3Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, as an opaque value with static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case latitudeDomain, longitudeDomain, resolutionDomain, invalidCell, malformedCell
            case resolutionMismatch, invalidArgument, pentagonDistortion, outOfReach
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Latitude is NaN, infinite or outside [-90, 90].
        public static let latitudeDomain = Code(.latitudeDomain)
        /// Longitude is NaN, infinite or outside [-180, 180].
        public static let longitudeDomain = Code(.longitudeDomain)
        /// Resolution outside 0...15.
        public static let resolutionDomain = Code(.resolutionDomain)
        /// A 64-bit value that is not a valid H3 cell.
        public static let invalidCell = Code(.invalidCell)
        /// Text that is not a 1 to 16 digit hexadecimal number.
        public static let malformedCell = Code(.malformedCell)
        /// Cells or resolutions that do not fit together (e.g. a parent finer than the cell).
        public static let resolutionMismatch = Code(.resolutionMismatch)
        /// Another out-of-range argument (negative k, bad polygon, …).
        public static let invalidArgument = Code(.invalidArgument)
        /// The grid walk crossed a pentagon's deleted sub-sequence and has no answer.
        public static let pentagonDistortion = Code(.pentagonDistortion)
        /// The cells are too far apart, or on opposite sides of a pentagon, for local IJ coordinates
        /// (where the reference's `gridDistance` and `cellToLocalIj` return `E_FAILED`).
        public static let outOfReach = Code(.outOfReach)

        public var description: String {
            switch base {
            case .latitudeDomain: "latitude out of range"
            case .longitudeDomain: "longitude out of range"
            case .resolutionDomain: "resolution out of range"
            case .invalidCell: "invalid cell"
            case .malformedCell: "malformed cell"
            case .resolutionMismatch: "resolution mismatch"
            case .invalidArgument: "invalid argument"
            case .pentagonDistortion: "pentagon distortion"
            case .outOfReach: "out of reach"
            }
        }
    }

    /// What kind of failure this is.
    public let code: Code
    /// The field or argument at fault (`"latitude"`, `"resolution"`, `"cell"`, …).
    public let field: String
    /// A human-readable reason, naming the offending value.
    public let reason: String

    @usableFromInline
    init(_ code: Code, field: String, reason: String) {
        self.code = code
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}
