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
}
