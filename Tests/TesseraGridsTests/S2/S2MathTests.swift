import Testing

@testable import TesseraGrids

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct S2MathTests {
    @Test func sinCosIsBitIdenticalToTheCLibrary() {
        var x = -Double.pi
        while x <= Double.pi {
            let (s, c) = S2Math.sinCos(x)
            #expect(s == sin(x) && c == cos(x))
            x += 0.000_731
        }
    }

    @Test func approximateSinCosStaysWithinTheBoundTheFastPathAssumes() {
        var worst = 0.0
        var x = -Double.pi
        while x <= Double.pi {
            let (s, c) = S2Math.approximateSinCos(x)
            worst = max(worst, abs(s - sin(x)), abs(c - cos(x)))
            x += 0.000_0917
        }
        for x in [-Double.pi, -Double.pi / 2, -Double.pi / 4, 0, Double.pi / 4, Double.pi / 2, Double.pi] {
            let (s, c) = S2Math.approximateSinCos(x)
            worst = max(worst, abs(s - sin(x)), abs(c - cos(x)))
        }
        #expect(worst <= 5e-16, "worst error \(worst)")
    }

    @Test func theFastPathAgreesAndRarelyFallsBack() throws {
        let points = try S2ReferenceData.points().prefix(200_000)
        var fallbacks = 0
        for p in points {
            let latLng = try S2LatLng(latitude: p.latitude, longitude: p.longitude)
            if let id = latLng.approximateLeafCell() {
                #expect(id.id == p.leaf)
            } else {
                fallbacks += 1
            }
        }
        // The points include many deliberately hard ones (cell corners, face edges, poles,
        // round numbers), which fall back by design; uniform points almost never do.
        #expect(fallbacks < points.count / 2, "\(fallbacks) fallbacks")
        print("fast path fallbacks:", fallbacks, "of", points.count)
    }
}
