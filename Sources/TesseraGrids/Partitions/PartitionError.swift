/// A partition input that was refused: a grid, a partition count, a map or its encoding.
///
/// ``message`` names the field and the reason, so a caller can show it unchanged.
public struct PartitionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of refusal. Opaque so that new kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidGrid
            case invalidPartitionCount
            case invalidCoordinate
            case invalidMap
            case malformedEncoding
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A grid system or level out of range.
        public static let invalidGrid = Code(.invalidGrid)
        /// A partition count outside 1...4096.
        public static let invalidPartitionCount = Code(.invalidPartitionCount)
        /// A latitude or longitude that is not finite or out of range.
        public static let invalidCoordinate = Code(.invalidCoordinate)
        /// Ranges that are not sorted, do not start at 0, or name a partition that does not exist.
        public static let invalidMap = Code(.invalidMap)
        /// Bytes that are not a partition map Tessera wrote.
        public static let malformedEncoding = Code(.malformedEncoding)

        public var description: String { base.rawValue }
    }

    /// What kind of input was refused.
    public var code: Code
    /// The field and the reason.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
