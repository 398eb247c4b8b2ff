#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Predicates on geodesic edges (great-circle arcs shorter than 180°) between unit points.
///
/// These use plain double arithmetic with a small tolerance: values within the tolerance are
/// reported as "uncertain" so callers can choose the conservative answer (a cell that may
/// touch an edge is treated as touching it), rather than s2geometry's exact predicates.
enum S2EdgeTests {
    /// Triple products below this are treated as zero (points on the same great circle).
    static let tolerance = 1e-15

    /// `(a × b) · c`: positive when `a, b, c` turn counter-clockwise.
    @inline(__always)
    static func orientation(_ a: S2Point, _ b: S2Point, _ c: S2Point) -> Double { a.cross(b).dot(c) }

    /// The result of testing whether two edges cross.
    enum Crossing {
        /// The edges cross at a point interior to both.
        case proper
        /// The edges do not meet.
        case none
        /// Too close to call (shared vertex, touching, or collinear).
        case uncertain
    }

    /// Whether edge `ab` crosses edge `cd`.
    ///
    /// Two arcs cross exactly when `acb`, `bda`, `cbd` and `dac` all have the same orientation,
    /// which also excludes the antipodal intersection of the two great circles.
    static func crossing(_ a: S2Point, _ b: S2Point, _ c: S2Point, _ d: S2Point) -> Crossing {
        let values = (
            -orientation(a, b, c), orientation(a, b, d), -orientation(c, d, b), orientation(c, d, a)
        )
        var positive = false
        var negative = false
        var uncertain = false
        for v in [values.0, values.1, values.2, values.3] {
            if v > tolerance {
                positive = true
            } else if v < -tolerance {
                negative = true
            } else {
                uncertain = true
            }
        }
        if positive && negative { return .none }
        return uncertain ? .uncertain : .proper
    }

    /// The signed angle at `p` from the direction of `a` to the direction of `b`, in `(-π, π]`.
    @inline(__always)
    static func signedAngle(at p: S2Point, _ a: S2Point, _ b: S2Point) -> Double {
        atan2(p.dot(a.cross(b)), p.cross(a).dot(p.cross(b)))
    }

    /// The turning angle at `b` when walking `a → b → c`: positive for a left turn.
    static func turnAngle(_ a: S2Point, _ b: S2Point, _ c: S2Point) -> Double {
        let n1 = a.cross(b)
        let n2 = b.cross(c)
        let angle = atan2(n1.cross(n2).norm, n1.dot(n2))
        return orientation(a, b, c) >= 0 ? angle : -angle
    }
}
