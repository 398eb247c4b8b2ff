import TesseraGeometry
import Testing

@testable import TesseraGrids

@Suite struct TileSetTests {
    @Test func mergesOverlappingAndAdjacentSpans() {
        let set = TileSet(
            zoom: 5,
            spans: [
                TileSpan(y: 3, x0: 4, x1: 6), TileSpan(y: 1, x0: 0, x1: 0), TileSpan(y: 3, x0: 7, x1: 7),
                TileSpan(y: 3, x0: 5, x1: 9), TileSpan(y: 3, x0: 12, x1: 12),
            ]
        )
        #expect(
            set.spans == [TileSpan(y: 1, x0: 0, x1: 0), TileSpan(y: 3, x0: 4, x1: 9), TileSpan(y: 3, x0: 12, x1: 12)]
        )
        #expect(set.count == 8)
        #expect(Array(set).count == 8)
        #expect(
            set.contains(x: 9, y: 3) && !set.contains(x: 10, y: 3) && set.contains(x: 0, y: 1)
                && !set.contains(x: 0, y: 2)
        )
    }

    @Test func intersectionIsTheTilesInBoth() {
        // Random span sets against the same sets as plain tile lists.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            func randomSet() -> TileSet {
                TileSet(
                    zoom: 6,
                    spans: (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                        let x0 = Int32.random(in: 0...40, using: &rng)
                        return TileSpan(
                            y: Int32.random(in: 0...5, using: &rng),
                            x0: x0,
                            x1: x0 + Int32.random(in: 0...15, using: &rng)
                        )
                    }
                )
            }
            let a = randomSet()
            let b = randomSet()
            let both = a.intersection(b)
            #expect(Set(both) == Set(a).intersection(Set(b)))
            #expect(both.count == Set(both).count)
            #expect(both == b.intersection(a))
        }
    }

    @Test func unionAndAncestors() {
        let a = TileSet(zoom: 3, tiles: [Tile(z: 3, x: 0, y: 0), Tile(z: 3, x: 5, y: 7)])
        let b = TileSet(zoom: 3, tiles: [Tile(z: 3, x: 1, y: 0), Tile(z: 3, x: 5, y: 7)])
        let u = a.union(b)
        #expect(Array(u) == [Tile(z: 3, x: 0, y: 0), Tile(z: 3, x: 1, y: 0), Tile(z: 3, x: 5, y: 7)])
        #expect(Array(u.ancestors(levels: 1)) == [Tile(z: 2, x: 0, y: 0), Tile(z: 2, x: 2, y: 3)])
        #expect(Array(u.ancestors(levels: 3)) == [Tile(z: 0, x: 0, y: 0)])
    }

    @Test func rollUpKeepsEveryTileUnderAnAncestor() throws {
        let big = Geometry.polygon(
            Polygon([[Position(-10, -10), Position(10, -10), Position(10, 10), Position(-10, 10), Position(-10, -10)]])
        )
        let exact = try TileCover().cover(big, zoom: 12, buffer: RenderBuffer(parsing: "64/4096"))
        let rolled = exact.rolledUp(maxTiles: 1000)
        #expect(rolled.count <= 1000)
        #expect(rolled.zoom < 12)
        let levels = 12 - rolled.zoom
        #expect(exact.allSatisfy { rolled.contains($0.parent(levels: levels)) })
        #expect(exact.rolledUp(maxTiles: exact.count) == exact)
    }

    @Test func continentAtZ14IsSpansNotTiles() throws {
        // A 60°×60° box: about 8 million tiles at z14, kept as one span per row.
        let box = Geometry.polygon(
            Polygon([[Position(-30, -30), Position(30, -30), Position(30, 30), Position(-30, 30), Position(-30, -30)]])
        )
        let set = try TileCover().cover(box, zoom: 14, buffer: RenderBuffer(parsing: "64/4096"))
        #expect(set.count > 7_000_000)
        #expect(set.spans.count < 6_000)
        // Spot-check against the definition: the buffered square of an edge tile meets the box.
        let west = Int(((-30.0 + 180) / 360 * 16384).rounded(.down))
        #expect(
            set.contains(x: west, y: 8192)
                && set.contains(x: west - 1, y: 8192) == (Double(west) - (-30.0 + 180) / 360 * 16384 > -64.0 / 4096)
        )
    }
}

@Suite struct TileMatrixSetTests {
    @Test func shipsWebMercatorAndCRS84Quads() throws {
        let wm = try TileMatrixSet.named("webmercatorquad")
        #expect(wm.crs == .webMercator && wm.zooms == 0...24 && wm.isQuadtree)
        #expect(try wm.matrix(at: 14).matrixWidth == 16384)
        let crs84 = try TileMatrixSet.named("WorldCRS84Quad")
        #expect(crs84.crs == .crs84 && crs84.isQuadtree)
        #expect(try crs84.matrix(at: 0).matrixWidth == 2)
        #expect(try Tile(z: 1, x: 3, y: 1).bounds(in: crs84) == BoundingBox(west: 90, south: -90, east: 180, north: 0))
    }

    @Test func namesWhatIsWrongWithADefinition() {
        func code(_ text: String) -> TileError.Code? {
            do {
                _ = try TileMatrixSet(json: Array(text.utf8))
                return nil
            } catch { return error.code }
        }
        #expect(code("{") == .invalidDefinition)
        #expect(
            code(#"{"id":"x","crs":"http://www.opengis.net/def/crs/EPSG/0/2056","tileMatrices":[]}"#) == .unsupportedCRS
        )
        #expect(code(#"{"id":"x","crs":"EPSG:3857","tileMatrices":[{"id":"0","cellSize":-1}]}"#) == .invalidDefinition)
        #expect(throws: TileError.self) { try TileMatrixSet.named("Mars") }
        #expect(throws: TileError.self) { try TileMatrixSet.webMercatorQuad.matrix(at: 25) }
    }

    @Test func readsLatitudeFirstEPSG4326Origins() throws {
        let text = #"""
            {"id":"g","crs":"http://www.opengis.net/def/crs/EPSG/0/4326","tileMatrices":[
             {"id":"0","cellSize":0.703125,"pointOfOrigin":[90,-180],"tileWidth":256,"tileHeight":256,"matrixWidth":2,"matrixHeight":1}]}
            """#
        let set = try TileMatrixSet(json: Array(text.utf8))
        #expect(set.matrices[0].origin == (-180, 90))
    }

    @Test func parsesBuffersZoomsAndTiles() throws {
        #expect(try RenderBuffer(parsing: "64/4096").fraction == 1.0 / 64)
        #expect(try RenderBuffer(parsing: "0") == .none)
        #expect(throws: TileError.self) { try RenderBuffer(parsing: "64") }
        #expect(throws: TileError.self) { try RenderBuffer(parsing: "5000/4096") }
        #expect(try ZoomRange(parsing: "10-14").range == 10...14)
        #expect(try ZoomRange(parsing: "7").range == 7...7)
        #expect(throws: TileError.self) { try ZoomRange(parsing: "14-10") }
        #expect(try Tile(parsing: "14/8800/5373") == Tile(z: 14, x: 8800, y: 5373))
        #expect(throws: TileError.self) { try Tile(parsing: "14/8800") }
        #expect(throws: TileError.self) { try Tile(z: 2, x: 4, y: 0, in: .webMercatorQuad) }
        #expect(throws: TileError.self) { try Tile(quadkey: "0124") }
    }

    @Test func coverRefusesNonFiniteCoordinates() {
        #expect(throws: TileError.self) { try TileCover().cover(.point(Position(.nan, 0)), zoom: 3) }
    }

    @Test func eachZoomUsesItsOwnBuffer() throws {
        // 0.004° west of the z10 edge at longitude 0: inside the 64/4096 buffer of z10's tile 512
        // (0.0055°) but outside z11's (0.0027°), so parents of the z11 cover miss tile 512.
        let p = Geometry.point(Position(-0.004, 10))
        let sets = try TileCover().cover(p, zooms: 10...11, buffer: RenderBuffer(parsing: "64/4096"))
        #expect(sets[0].map(\.x) == [511, 512])
        #expect(sets[1].ancestors(levels: 1).map(\.x) == [511])
    }
}
