#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Numeric constants of the H3 projection, with the same decimal expansions as the
/// reference library so that every rounding step matches it.
@usableFromInline
enum H3Constants {
    @usableFromInline static let twoPi = 6.28318530717958647692528676655900576839433
    @usableFromInline static let pi = 3.14159265358979323846
    @usableFromInline static let halfPi = 1.5707963267948966
    @usableFromInline static let degreesToRadians = 0.0174532925199432957692369076848861271111
    @usableFromInline static let radiansToDegrees = 57.29577951308232087679815481410517033240547
    @usableFromInline static let epsilon = 0.0000000000000001
    @usableFromInline static let sqrt3Over2 = 0.8660254037844386467637231707529361834714
    @usableFromInline static let inverseSin60 = 1.1547005383792515290182975610039149112953
    @usableFromInline static let oneThird = 0.333333333333333333333333333333333333333
    @usableFromInline static let oneSeventh = 0.14285714285714285714285714285714285
    /// Rotation of Class III grids against Class II, asin(√(3/28)) in radians.
    @usableFromInline static let aperture7RotationRadians = 0.333473172251832115336090755351601070065900389
    @usableFromInline static let sqrt7 = 2.6457513110645905905016157536392604257102
    @usableFromInline static let inverseSqrt7 = 0.37796447300922722721451653623418006081576
    /// Gnomonic distance of one resolution-0 cell spacing, and its inverse.
    @usableFromInline static let res0UnitGnomonic = 0.38196601125010500003
    @usableFromInline static let inverseRes0UnitGnomonic = 2.61803398874989588842
}

/// The libm functions the projection uses, so the rest of the code need not import the C library.
@usableFromInline
enum H3Math {
    @inlinable static func sin(_ x: Double) -> Double { Glibc.sin(x) }
    @inlinable static func cos(_ x: Double) -> Double { Glibc.cos(x) }
    @inlinable static func tan(_ x: Double) -> Double { Glibc.tan(x) }
    @inlinable static func asin(_ x: Double) -> Double { Glibc.asin(x) }
    @inlinable static func acos(_ x: Double) -> Double { Glibc.acos(x) }
    @inlinable static func atan(_ x: Double) -> Double { Glibc.atan(x) }
    @inlinable static func atan2(_ y: Double, _ x: Double) -> Double { Glibc.atan2(y, x) }

    /// `rads` brought into [0, 2π), as the reference does (one wrap only).
    @inlinable
    static func positiveAngle(_ rads: Double) -> Double {
        var tmp = rads < 0.0 ? rads + H3Constants.twoPi : rads
        if rads >= H3Constants.twoPi { tmp -= H3Constants.twoPi }
        return tmp
    }
}
