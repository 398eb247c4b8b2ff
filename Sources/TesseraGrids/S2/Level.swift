/// An S2 cell level, 0 (a cube face) through 30 (a leaf cell of about 1 cm²).
///
/// Validated on construction so that the cell functions taking a level need no checks.
public struct S2Level: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The level as an integer in `0...30`.
    public let rawValue: Int

    /// The deepest level: leaf cells.
    public static let leaf = S2Level(unchecked: 30)
    /// The coarsest level: the six cube faces.
    public static let face = S2Level(unchecked: 0)
    /// Every level, from 0 to 30.
    public static let all: [S2Level] = (0...30).map { S2Level(unchecked: $0) }

    /// Validates `value` as a level.
    /// - Throws: ``S2Error`` with code `invalidLevel` when `value` is outside `0...30`.
    public init(_ value: Int) throws(S2Error) {
        guard (0...30).contains(value) else {
            throw S2Error(.invalidLevel, "level \(value) is outside 0...30")
        }
        self.rawValue = value
    }

    @inlinable
    init(unchecked value: Int) { self.rawValue = value }

    @inlinable
    public static func < (lhs: S2Level, rhs: S2Level) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}
