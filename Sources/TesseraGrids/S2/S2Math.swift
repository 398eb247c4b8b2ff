#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Elementary functions for the lat/lng → cell hot path.
@usableFromInline
enum S2Math {
    @usableFromInline
    typealias SinCos = @convention(c) (Double, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?) -> Void

    /// The C library's `sincos`, looked up once. Swift's Glibc module does not import it (it is
    /// a GNU extension), yet it returns exactly the bits of `sin` and `cos` for about the cost of
    /// one, which is half of the lat/lng → cell time. Nil where the C library has none.
    @usableFromInline
    static let sincosFunction: SinCos? = {
        #if canImport(Glibc)
            guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "sincos") else { return nil }
            return unsafeBitCast(symbol, to: SinCos.self)
        #else
            return nil
        #endif
    }()

    /// `(sin(x), cos(x))`, bit-identical to calling the C library's `sin` and `cos`.
    @inlinable
    static func sinCos(_ x: Double) -> (sin: Double, cos: Double) {
        guard let f = sincosFunction else { return (sin(x), cos(x)) }
        var s = 0.0
        var c = 0.0
        f(x, &s, &c)
        return (s, c)
    }

    /// `(sin(x), cos(x))` for `|x| ≤ π` by quadrant reduction and Taylor polynomials on
    /// `[-π/4, π/4]`: within about 5e-16 of the true values (checked in the tests), but not
    /// always the C library's bits. Callers must only use it where such an error cannot change
    /// their answer, and fall back to ``sinCos(_:)`` otherwise.
    @inlinable @inline(__always)
    static func approximateSinCos(_ x: Double) -> (sin: Double, cos: Double) {
        // Nearest quadrant by truncating conversion (Double.rounded() is a library call on
        // baseline x86-64, which lacks SSE4.1's roundsd).
        let scaled = x * (2 / Double.pi)
        let quadrant = Int(scaled + (scaled >= 0 ? 0.5 : -0.5))
        let k = Double(quadrant)
        // π/2 split in two so that the reduction keeps full precision for |k| ≤ 2.
        let r = (x - k * 1.5707963267948966) - k * 6.123233995736766e-17
        let r2 = r * r
        // Estrin's scheme (pairs, then pairs of pairs) instead of Horner's: the same terms with
        // a third of the dependent steps, which is most of this function's latency.
        let r4 = r2 * r2
        let r8 = r4 * r4
        let sp =
            ((-1.0 / 6 + r2 * (1.0 / 120)) + r4 * (-1.0 / 5040 + r2 * (1.0 / 362_880)))
            + r8
            * ((-1.0 / 39_916_800 + r2 * (1.0 / 6_227_020_800))
                + r4 * (-1.0 / 1_307_674_368_000 + r2 * (1.0 / 355_687_428_096_000)))
        let s = r + r * r2 * sp
        let cp =
            ((1.0 / 24 + r2 * (-1.0 / 720)) + r4 * (1.0 / 40320 + r2 * (-1.0 / 3_628_800)))
            + r8
            * ((1.0 / 479_001_600 + r2 * (-1.0 / 87_178_291_200))
                + r4 * (1.0 / 20_922_789_888_000 + r2 * (-1.0 / 6_402_373_705_728_000)))
        let c = 1 - 0.5 * r2 + r4 * cp
        // Quadrant q: sin = s, c, −s, −c and cos = c, −s, −c, s, chosen without branches.
        let q = quadrant & 3
        let odd = q & 1 != 0
        let sinValue = (odd ? c : s) * (q & 2 != 0 ? -1 : 1)
        let cosValue = (odd ? s : c) * ((q &+ 1) & 2 != 0 ? -1 : 1)
        return (sinValue, cosValue)
    }
}
