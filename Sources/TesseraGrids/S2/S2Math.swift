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

    /// 1.5 · 2⁵²: adding it to a `Double` of magnitude below 2⁵¹ rounds that value to an
    /// integer `k` held in the low bits of the sum's significand (two's complement for negative
    /// `k`), and subtracting it back gives `k` as a `Double`, exactly. This replaces the
    /// double → int → double round trip, whose range checks and conversion latency the hot
    /// path would otherwise pay.
    @inlinable static var roundingShifter: Double { 6_755_399_441_055_744 }

    /// `(sin(x), cos(x))` for `|x| ≤ π`, within 5e-16 of the true values (checked in the
    /// tests) but not always the C library's bits. Callers must only use it where such an
    /// error cannot change their answer, and fall back to ``sinCos(_:)`` otherwise.
    ///
    /// Reduction to `r ∈ [-π/4, π/4]` by the nearest multiple `k` of π/2 (π/2 in two parts, so
    /// `r` is accurate to an ulp for `|k| ≤ 2`), then fdlibm's minimax polynomials for
    /// `__kernel_sin` and `__kernel_cos` (relative error below 2⁻⁵⁸ on that interval).
    /// Scalar on purpose: the latitude's and longitude's evaluations are independent, so the
    /// processor overlaps them, and LLVM splits `SIMD2` versions of this code back into lanes
    /// with extra shuffles.
    @inlinable @inline(__always)
    static func approximateSinCos(_ x: Double) -> (sin: Double, cos: Double) {
        let shifted = x * (2 / Double.pi) + roundingShifter
        let k = shifted - roundingShifter
        let quadrant = shifted.bitPattern
        let r = (x - k * 1.5707963267948966) - k * 6.123233995736766e-17
        let z = r * r
        let z2 = z * z
        let z4 = z2 * z2
        // Estrin's scheme: the same terms as Horner's with half the dependent steps.
        let sinPoly =
            (-1.66666666666666324348e-01 + z * 8.33333333332248946124e-03)
            + z2 * (-1.98412698298579493134e-04 + z * 2.75573137070700676789e-06)
            + z4 * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)
        let cosPoly =
            (4.16666666666666019037e-02 + z * -1.38888888888741095749e-03)
            + z2 * (2.48015872894767294178e-05 + z * -2.75573143513906633035e-07)
            + z4 * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)
        let s = r + (r * z) * sinPoly
        let c = (1 - 0.5 * z) + z2 * cosPoly
        // Quadrant q = k mod 4: sin = s, c, −s, −c and cos = c, −s, −c, s. Odd quadrants swap
        // the two and the signs are flipped on the sign bit: bitwise, without branches.
        let swap = (s.bitPattern ^ c.bitPattern) & (0 &- (quadrant & 1))
        let sinValue = Double(bitPattern: (s.bitPattern ^ swap) ^ ((quadrant & 2) &<< 62))
        let cosValue = Double(bitPattern: (c.bitPattern ^ swap) ^ (((quadrant &+ 1) & 2) &<< 62))
        return (sinValue, cosValue)
    }
}
