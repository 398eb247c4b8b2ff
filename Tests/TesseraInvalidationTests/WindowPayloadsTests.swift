import Foundation
import TesseraCatalog
import TesseraGeometry
import TesseraGrids
import Testing

@testable import TesseraInvalidation

@Suite struct WindowPayloadsTests {
    let layer = Layer(name: "roads", tileMatrixSet: .webMercatorQuad, zooms: 10...14, buffer: .none)

    func subscription(maxTiles: Int, rollUp: RollUp, format: PayloadFormat = .json) -> Subscription {
        var settings = SubscriptionDefinition(name: "n", url: "https://cache.example.com/", layers: ["roads"])
        settings.format = format
        settings.debounceMilliseconds = 0
        settings.maxDelayMilliseconds = 0
        settings.maxTiles = maxTiles
        settings.rollUp = rollUp
        return Subscription(id: UUID(), tenant: "default", settings: settings)
    }

    func window() throws -> PendingWindow {
        var w = PendingWindow()
        let area = Geometry.polygon(
            Polygon([
                [Position(13, 52), Position(13.5, 52), Position(13.5, 52.3), Position(13, 52.3), Position(13, 52)]
            ])
        )
        w.absorb(
            tiles: try TileCover().cover(area, zooms: 10...14),
            bbox: area.boundingBox,
            fullExtent: false,
            at: 1000
        )
        w.absorb(tiles: [], bbox: nil, fullExtent: false, at: 5000)
        return w
    }

    @Test func underTheCapIsOneExactEvent() throws {
        let w = try window()
        let events = WindowPayloads.invalidations(
            window: w,
            layer: layer,
            subscription: subscription(maxTiles: 1_000_000, rollUp: .parents),
            newEventID: { "e" }
        )
        #expect(events.count == 1)
        #expect(events[0].zooms.allSatisfy { $0.rolledUpFrom == nil })
        #expect(events[0].changeCount == 2)
        #expect(events[0].windowStartMilliseconds == 1000 && events[0].windowEndMilliseconds == 5000)
    }

    @Test func parentsRollUpUnderTheCapAndStillCoverEveryTile() throws {
        let w = try window()
        let events = WindowPayloads.invalidations(
            window: w,
            layer: layer,
            subscription: subscription(maxTiles: 200, rollUp: .parents),
            newEventID: { "e" }
        )
        #expect(events.count == 1)
        let e = events[0]
        #expect(e.tileCount <= 200)
        for z in e.zooms {
            let original = w.zooms[z.rolledUpFrom ?? z.tiles.zoom]!
            let levels = original.zoom - z.tiles.zoom
            #expect(original.allSatisfy { z.tiles.contains($0.parent(levels: levels)) })
        }
        #expect(e.zooms.contains { $0.rolledUpFrom != nil })
    }

    @Test func splitKeepsEveryTileExactlyOnceAcrossParts() throws {
        let w = try window()
        var n = 0
        let events = WindowPayloads.invalidations(
            window: w,
            layer: layer,
            subscription: subscription(maxTiles: 100, rollUp: .split),
            newEventID: {
                n += 1
                return "e\(n)"
            }
        )
        let total = w.zooms.values.reduce(0) { $0 + $1.count }
        #expect(events.count == (total + 99) / 100)
        #expect(events.allSatisfy { $0.tileCount <= 100 && $0.parts == events.count })
        #expect(Set(events.map(\.eventID)).count == events.count)
        var seen: [Int: Set<Tile>] = [:]
        for e in events {
            for z in e.zooms { for t in z.tiles { #expect(seen[z.tiles.zoom, default: []].insert(t).inserted) } }
        }
        for (zoom, set) in w.zooms { #expect(seen[zoom]?.count == set.count) }
    }

    /// A z/x/y line stands for itself only: over the cap, a `zxy` subscription gets every tile, in
    /// parts, even with `rollup: parents`; no line is a rolled-up ancestor.
    @Test func zxyIsSplitNotRolledUp() throws {
        let w = try window()
        var n = 0
        let events = WindowPayloads.invalidations(
            window: w,
            layer: layer,
            subscription: subscription(maxTiles: 100, rollUp: .parents, format: .zxy),
            newEventID: {
                n += 1
                return "e\(n)"
            }
        )
        let total = w.zooms.values.reduce(0) { $0 + $1.count }
        #expect(total > 100)
        #expect(events.count == (total + 99) / 100)
        #expect(events.allSatisfy { $0.zooms.allSatisfy { $0.rolledUpFrom == nil } })
        var lines: Set<String> = []
        for e in events { lines.formUnion(e.zxyText().split(separator: "\n").map(String.init)) }
        #expect(lines == Set(w.zooms.values.flatMap { $0.map(\.description) }))
        // JSON and Protobuf can say "and every descendant": they still roll up.
        let json = WindowPayloads.invalidations(
            window: w,
            layer: layer,
            subscription: subscription(maxTiles: 100, rollUp: .parents, format: .json),
            newEventID: { "e" }
        )
        #expect(json.count == 1 && json[0].zooms.contains { $0.rolledUpFrom != nil })
    }

    @Test func truncateMeansEverythingAtEveryZoom() throws {
        var w = PendingWindow()
        w.absorb(tiles: [], bbox: nil, fullExtent: true, at: 1)
        let bytes = w.encodedTiles()
        var back = PendingWindow()
        try back.decodeTiles(bytes)
        #expect(back.fullExtent)
        let e = WindowPayloads.invalidations(
            window: back,
            layer: layer,
            subscription: subscription(maxTiles: 10, rollUp: .parents),
            newEventID: { "e" }
        )[0]
        #expect(e.zooms.map(\.rolledUpFrom) == [10, 11, 12, 13, 14])
        #expect(e.zooms.allSatisfy { Array($0.tiles) == [Tile(z: 0, x: 0, y: 0)] })
    }

    @Test func pendingWindowsRoundTripThroughTheirStoredForm() throws {
        let w = try window()
        var back = PendingWindow()
        try back.decodeTiles(w.encodedTiles())
        #expect(back.zooms == w.zooms)
        #expect(!back.fullExtent)
    }
}
