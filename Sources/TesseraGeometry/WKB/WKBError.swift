/// Bytes that are not a well-formed WKB/EWKB geometry. `offset` is where reading stopped.
public struct WKBError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        private enum Base: Hashable, Sendable { case truncated, byteOrder, geometryType, nesting, trailingBytes }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The bytes end before the geometry does (or a count promises more than is there).
        public static let truncated = Code(.truncated)
        /// The byte-order byte is neither 0 (big-endian) nor 1 (little-endian).
        public static let byteOrder = Code(.byteOrder)
        /// The type code names no supported geometry type.
        public static let geometryType = Code(.geometryType)
        /// Collections nested deeper than the reader allows, or a wrong part type inside a multi-geometry.
        public static let nesting = Code(.nesting)
        /// Bytes remain after the geometry.
        public static let trailingBytes = Code(.trailingBytes)
    }

    public let code: Code
    public let offset: Int
    public let message: String

    public init(code: Code, offset: Int, message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String { "invalid WKB at byte \(offset): \(message)" }
}
