/// A GeoJSON text that could not be read (or a value that cannot be written).
///
/// `path` names the offending member in JSONPath-like form, e.g.
/// `features[3].geometry.coordinates[0][2]`; `message` says what is wrong there.
public struct GeoJSONError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem this is. Compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case syntax, missingMember, wrongType, unknownType, invalidCoordinates, notFinite
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The text is not JSON.
        public static let syntax = Code(.syntax)
        /// A required member ("type", "coordinates", "geometries", "features", "geometry") is absent.
        public static let missingMember = Code(.missingMember)
        /// A member has the wrong JSON type (e.g. a string where an array belongs).
        public static let wrongType = Code(.wrongType)
        /// The "type" member names no GeoJSON type.
        public static let unknownType = Code(.unknownType)
        /// A position has fewer than two numbers, or coordinates are nested wrongly.
        public static let invalidCoordinates = Code(.invalidCoordinates)
        /// A coordinate is NaN or infinite where JSON cannot represent it (writing).
        public static let notFinite = Code(.notFinite)

        public var description: String {
            switch base {
            case .syntax: "syntax"
            case .missingMember: "missingMember"
            case .wrongType: "wrongType"
            case .unknownType: "unknownType"
            case .invalidCoordinates: "invalidCoordinates"
            case .notFinite: "notFinite"
            }
        }
    }

    public let code: Code
    /// Where in the document, e.g. `features[2].geometry.coordinates[0]`; empty for the root.
    public let path: String
    public let message: String

    public init(code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "invalid GeoJSON: \(message)" : "invalid GeoJSON at \(path): \(message)"
    }
}
