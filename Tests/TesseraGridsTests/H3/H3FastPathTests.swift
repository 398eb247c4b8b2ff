import Foundation
import Testing

@testable import TesseraGrids

/// The shortcuts of the fast path against the straightforward forms they replace: the same
/// numbers, not merely the same cells on the reference vectors.
@Suite struct H3FastPathTests {
    @Test func faceFramesAreTheComputedTangentBases() {
        for face in 0..<20 {
            let frame = H3Faces.frame(face)
            let centre = H3Faces.center(face)
            let (north, east) = H3Faces.tangentBasis(centre)
            #expect(frame.center.x == centre.x && frame.center.y == centre.y && frame.center.z == centre.z)
            #expect(frame.north.x == north.x && frame.north.y == north.y && frame.north.z == north.z, "face \(face)")
            #expect(frame.east.x == east.x && frame.east.y == east.y && frame.east.z == east.z, "face \(face)")
            #expect(frame.iAxisAzimuth == H3Faces.axesAzimuths[face * 3])
        }
    }

    @Test func nearestSeventhIsTheReferenceRounding() {
        var n = -200_000_000
        while n <= 200_000_000 {
            let want = Int((Double(n) * H3Constants.oneSeventh).rounded(.toNearestOrAwayFromZero))
            #expect(H3Bits.nearestSeventh(n) == want, "n = \(n)")
            if H3Bits.nearestSeventh(n) != want { return }
            let nearBranch = (n.magnitude > (1 << 26) - 1000 && n.magnitude < (1 << 26) + 1000)
            n += n.magnitude < 1000 || nearBranch ? 1 : 997
        }
    }

    @Test func unitDigitMatchesTheNormalisedVector() {
        for a in -3...3 {
            for b in -3...3 {
                #expect(H3Bits.unitDigit(a, b) == H3CoordIJK(a, b, 0).digit, "(\(a), \(b))")
            }
        }
    }

    @Test func bitParallelRotationsRotateEachDigit() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let res = Int(state >> 60)
            var h = H3Bits.setResolution(H3Bits.cellTemplate, res)
            var x = state
            for r in stride(from: 1, through: res, by: 1) {
                h = H3Bits.setDigit(h, r, Int(x % 7))
                x /= 7
            }
            var ccw = h
            var cw = h
            for r in stride(from: 1, through: res, by: 1) {
                ccw = H3Bits.setDigit(ccw, r, H3Digit.rotate60CounterClockwise(H3Bits.digit(h, r)))
                cw = H3Bits.setDigit(cw, r, H3Digit.rotate60Clockwise(H3Bits.digit(h, r)))
            }
            #expect(H3Bits.rotate60CounterClockwise(h) == ccw)
            #expect(H3Bits.rotate60Clockwise(h) == cw)
            var leading = 0
            for r in stride(from: 1, through: res, by: 1) where H3Bits.digit(h, r) != 0 {
                leading = H3Bits.digit(h, r)
                break
            }
            #expect(H3Bits.leadingNonZeroDigit(h) == leading)
        }
    }

    /// The reference's `_hex2dToCoordIJK`, written as it is there, before normalisation.
    static func referenceTwoAxis(_ v: H3Vec2) -> (Int, Int) {
        let a1 = abs(v.x)
        let a2 = abs(v.y)
        let x2 = a2 * H3Constants.inverseSin60
        let x1 = a1 + x2 / 2.0
        let m1 = Int(x1)
        let m2 = Int(x2)
        let r1 = x1 - Double(m1)
        let r2 = x2 - Double(m2)
        var ci: Int
        var cj: Int
        if r1 < 0.5 {
            if r1 < 1.0 / 3.0 {
                ci = m1
                cj = r2 < (1.0 + r1) / 2.0 ? m2 : m2 + 1
            } else {
                cj = r2 < (1.0 - r1) ? m2 : m2 + 1
                ci = ((1.0 - r1) <= r2 && r2 < (2.0 * r1)) ? m1 + 1 : m1
            }
        } else {
            if r1 < 2.0 / 3.0 {
                cj = r2 < (1.0 - r1) ? m2 : m2 + 1
                ci = ((2.0 * r1 - 1.0) < r2 && r2 < (1.0 - r1)) ? m1 : m1 + 1
            } else {
                ci = m1 + 1
                cj = r2 < (r1 / 2.0) ? m2 : m2 + 1
            }
        }
        if v.x < 0.0 {
            if cj % 2 == 0 {
                let axisI = cj / 2
                ci = ci - 2 * (ci - axisI)
            } else {
                let axisI = (cj + 1) / 2
                ci = ci - (2 * (ci - axisI) + 1)
            }
        }
        if v.y < 0.0 {
            ci = ci - (2 * cj + 1) / 2
            cj = -cj
        }
        return (ci, cj)
    }

    @Test func branchFreeHexRoundingMatchesTheReferenceForm() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        for n in 0..<400_000 {
            // Mostly small and exact lattice-edge values, where the comparisons tie.
            let scale = [4.0, 60.0, 5e6][n % 3]
            var x = (next() * 2 - 1) * scale
            var y = (next() * 2 - 1) * scale
            if n % 5 == 0 {
                x = (x * 6).rounded() / 6
                y = (y * 6).rounded() / 6 * H3Constants.sqrt3Over2
            }
            let v = H3Vec2(x: x, y: y)
            let got = H3CoordIJK.twoAxis(hex2d: v)
            let want = Self.referenceTwoAxis(v)
            #expect(got.i == want.0 && got.j == want.1, "(\(x), \(y))")
            if got.i != want.0 || got.j != want.1 { return }
        }
    }

    @Test func closestFaceIsTheReferenceScan() throws {
        var state: UInt64 = 0x5851_F42D_4C95_7F2D
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var points: [H3Vec3] = []
        for _ in 0..<200_000 {
            points.append(H3Vec3(latitude: asin(next() * 2 - 1), longitude: (next() * 2 - 1) * .pi))
        }
        // Icosahedron vertices and edge midpoints, where several faces tie.
        for p in [0, 1, 2, 3, 4, 5].map({ H3Faces.center($0) }) {
            for q in (0..<20).map({ H3Faces.center($0) }) {
                var m = H3Vec3.combine(0.5, p, 0.5, q)
                m.normalize()
                points.append(m)
            }
        }
        for p in points {
            var face = 0
            var sqd = 5.0
            for f in 0..<20 {
                let c = H3Faces.center(f)
                let dx = c.x - p.x
                let dy = c.y - p.y
                let dz = c.z - p.z
                let d = dx * dx + dy * dy + dz * dz
                if d < sqd {
                    face = f
                    sqd = d
                }
            }
            let got = H3FaceIJK.closestFace(p)
            #expect(got.face == face && got.sqd == sqd)
            if got.face != face || got.sqd != sqd { return }
        }
    }
}
