import TesseraGeometry
import TesseraTestSupport
import Testing

@testable import TesseraGrids

/// The exact cover checked against shapely on projected coordinates
/// (vectors: grids/tiles/generate_cover_vectors.py).
@Suite struct TileCoverVectorTests {
    static let vectors = try! Vectors.load("grids/tiles/cover_vectors.json")

    static var caseNames: [String] { vectors["cases"]!.array.map { $0["name"]!.string } }

    @Test(arguments: caseNames)
    func coverMatchesShapely(name: String) throws {
        let c = try #require(Self.vectors["cases"]!.array.first { $0["name"]?.string == name })
        let geometry = try GeoJSON.decode(c["geometry"]!).geometries
        let set = try TileMatrixSet.named(c["tms"]!.string)
        let cover = TileCover(set)
        for v in c["covers"]!.array {
            let zoom = v["zoom"]!.int
            let buffer = try RenderBuffer(parsing: v["buffer"]!.string)
            let ours = try cover.cover(geometry, zooms: zoom...zoom, buffer: buffer)[0]
            var must = Set<Tile>()
            for s in v["must"]!.array {
                let a = s.array
                for x in a[1].int...a[2].int { must.insert(Tile(z: zoom, x: x, y: a[0].int)) }
            }
            let may = Set(v["may"]!.array.map { Tile(z: zoom, x: $0.array[0].int, y: $0.array[1].int) })
            let got = Set(ours)
            #expect(got.count == ours.count, "duplicate tiles in \(name) z\(zoom)")
            let missing = must.subtracting(got)
            let extra = got.subtracting(must).subtracting(may)
            #expect(
                missing.isEmpty && extra.isEmpty,
                "\(name) z\(zoom) buffer \(buffer): missing \(missing.sorted().prefix(5)) extra \(extra.sorted().prefix(5))"
            )
        }
    }

    @Test func tileMathMatchesMercantile() throws {
        let set = TileMatrixSet.webMercatorQuad
        for t in Self.vectors["tiles"]!.array {
            let tile = Tile(z: t["z"]!.int, x: t["x"]!.int, y: t["y"]!.int)
            #expect(tile.quadkey == t["quadkey"]!.string)
            #expect(try Tile(quadkey: tile.quadkey) == tile)
            let b = try tile.bounds(in: set)
            let want = t["bounds"]!.array.map(\.double)
            for (got, expected) in zip([b.west, b.south, b.east, b.north], want) {
                #expect(abs(got - expected) <= 1e-9, "bounds of \(tile): \(got) vs \(expected)")
            }
            if case .array(let p) = t["parent"]! {
                #expect(tile.parent() == Tile(z: p[0].int, x: p[1].int, y: p[2].int))
                #expect(tile.parent().children.contains(tile))
            }
        }
    }

    @Test func pointsLandInMercantilesTile() throws {
        let cover = TileCover()
        for p in Self.vectors["points"]!.array {
            let pos = Position(p["lon"]!.double, p["lat"]!.double)
            let (x, y) = TileCRS.webMercator.project(longitude: pos.longitude, latitude: pos.latitude)
            let xy = p["xy"]!.array.map(\.double)
            #expect(abs(x - xy[0]) <= 1e-7 && abs(y - xy[1]) <= 1e-7)
            let z = p["z"]!.int
            let tiles = Array(try cover.cover(.point(pos), zoom: z))
            let want = Tile(z: z, x: p["tile"]!.array[0].int, y: p["tile"]!.array[1].int)
            #expect(tiles == [want], "\(pos) at z\(z)")
        }
    }
}
