/// An S2 input that was refused: a coordinate, level, token or option out of range.
///
/// The ``code`` says what kind of input was wrong; ``message`` names the field and the reason,
/// so a caller can show it unchanged.
public struct S2Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of refusal. Opaque so that new kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidCoordinate
            case invalidLevel
            case invalidToken
            case invalidCellID
            case invalidOptions
            case invalidGeometry
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A latitude or longitude that is not finite or out of range.
        public static let invalidCoordinate = Code(.invalidCoordinate)
        /// A cell level outside 0...30.
        public static let invalidLevel = Code(.invalidLevel)
        /// A token that is not 1–16 hexadecimal digits naming a valid cell.
        public static let invalidToken = Code(.invalidToken)
        /// A 64-bit value that is not a valid cell id.
        public static let invalidCellID = Code(.invalidCellID)
        /// Coverer options that contradict each other or are out of range.
        public static let invalidOptions = Code(.invalidOptions)
        /// A geometry that cannot be turned into an S2 region (e.g. a ring with too few vertices).
        public static let invalidGeometry = Code(.invalidGeometry)

        public var description: String { base.rawValue }
    }

    /// What kind of input was refused.
    public var code: Code
    /// The field and the reason, e.g. `latitude 91.0 is outside [-90, 90]`.
    public var message: String

    /// Creates an error of kind `code` explained by `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
