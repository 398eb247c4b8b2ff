/// An H3 resolution, 0 (122 base cells) to 15 (about 0.9 m² cells).
///
/// Validated on construction so that no later call has to check it again.
public struct H3Resolution: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The resolution number, always in 0...15.
    public let value: Int

    /// The finest resolution.
    public static let finest = H3Resolution(unchecked: 15)
    /// The coarsest resolution (base cells).
    public static let coarsest = H3Resolution(unchecked: 0)

    /// - Throws: ``H3Error`` with code `.resolutionDomain` unless `value` is in 0...15.
    @inlinable
    public init(_ value: Int) throws(H3Error) {
        guard (0...15).contains(value) else {
            throw H3Error(.resolutionDomain, field: "resolution", reason: "\(value) is not in 0...15")
        }
        self.value = value
    }

    @inlinable
    init(unchecked value: Int) { self.value = value }

    /// Odd resolutions are "Class III": their grid is rotated by about 19.1° against the even ones.
    @inlinable
    public var isClassIII: Bool { value & 1 == 1 }

    public static func < (lhs: H3Resolution, rhs: H3Resolution) -> Bool { lhs.value < rhs.value }

    public var description: String { String(value) }
}
