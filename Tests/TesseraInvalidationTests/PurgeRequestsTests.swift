import Foundation
import NIOCore
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry
import TesseraGrids
import Testing

@testable import TesseraInvalidation

/// The payloads of the outputs that purge caches themselves: every stale tile, by name, or the
/// output's whole-layer form; never a roll-up a consumer would read as fewer tiles.
@Suite struct PurgeRequestsTests {
    func subscription(_ output: SubscriptionOutput, url: String, maxTiles: Int) -> Subscription {
        var settings = SubscriptionDefinition(name: "n", url: url, layers: ["roads"])
        settings.output = output
        settings.method = output.methods[0]
        settings.maxTiles = maxTiles
        settings.rollUp = .parents
        return Subscription(id: UUID(), tenant: "default", settings: settings)
    }

    func window(fullExtent: Bool, zooms: ClosedRange<Int>) throws -> PendingWindow {
        var w = PendingWindow()
        if fullExtent {
            w.absorb(tiles: [], bbox: nil, fullExtent: true, at: 1)
        } else {
            let area = Geometry.polygon(
                Polygon([
                    [Position(13, 52), Position(13.5, 52), Position(13.5, 52.3), Position(13, 52.3), Position(13, 52)]
                ])
            )
            w.absorb(tiles: try TileCover().cover(area, zooms: zooms), bbox: area.boundingBox, fullExtent: false, at: 1)
        }
        return w
    }

    func payloads(_ w: PendingWindow, layer: Layer, _ s: Subscription) -> [(TileInvalidation, EncodedPayload)] {
        WindowPayloads.invalidations(window: w, layer: layer, subscription: s, newEventID: { "e" }).map {
            ($0, PurgeRequests.payload(of: $0, layer: layer, subscription: s))
        }
    }

    @Test func overTheCapAPurgeListIsSplitAndNamesEveryTileOnce() throws {
        let layer = Layer(name: "roads", tileMatrixSet: .webMercatorQuad, zooms: 10...14, buffer: .none)
        let w = try window(fullExtent: false, zooms: 10...14)
        let all = Set(w.zooms.values.flatMap { $0.map { "/t/roads/\($0.z)/\($0.x)/\($0.y).pbf" } })
        let s = subscription(.httpPurge, url: "http://cache/t/{layer}/{z}/{x}/{y}.pbf", maxTiles: 100)
        let out = payloads(w, layer: layer, s)
        #expect(out.count > 1)
        var seen: [String] = []
        for (_, payload) in out {
            #expect(payload.contentType == PurgeList.contentType)
            let list = try PurgeList(parsing: ByteBuffer(bytes: payload.bytes))
            #expect(list.requests.count <= 100)
            #expect(list.requests.allSatisfy { $0.method == "PURGE" && $0.banExpression == nil })
            seen += list.requests.map(\.target)
        }
        #expect(seen.count == all.count)
        #expect(Set(seen) == all)
    }

    @Test func aTruncateOfASmallLayerListsEveryTileOfEveryZoom() throws {
        let layer = Layer(name: "roads", tileMatrixSet: .webMercatorQuad, zooms: 0...3, buffer: .none)
        let w = try window(fullExtent: true, zooms: 0...3)
        // 1 + 4 + 16 + 64 tiles fit a cap of 100.
        let purge = payloads(w, layer: layer, subscription(.httpPurge, url: "http://c/{z}/{x}/{-y}", maxTiles: 100))
        #expect(purge.count == 1)
        let list = try PurgeList(parsing: ByteBuffer(bytes: purge[0].1.bytes))
        #expect(list.requests.count == 85)
        #expect(Set(list.requests.map(\.target)).count == 85)
        #expect(list.requests.contains { $0.target == "/3/7/0" })  // 3/7/7 in TMS rows
        let expire = payloads(w, layer: layer, subscription(.expireFiles, url: "file:///x", maxTiles: 100))
        #expect(expire[0].1.contentType == PayloadFormat.zxy.contentType)
        #expect(String(decoding: expire[0].1.bytes, as: UTF8.self).split(separator: "\n").count == 85)
        // The zxy webhook lists them too, instead of 0/0/0 lines.
        var zxy = subscription(.webhook, url: "http://c/", maxTiles: 100)
        zxy.settings.format = .zxy
        let events = WindowPayloads.invalidations(window: w, layer: layer, subscription: zxy, newEventID: { "e" })
        #expect(events.reduce(0) { $0 + $1.tileCount } == 85)
        #expect(events.allSatisfy { $0.zooms.allSatisfy { $0.rolledUpFrom == nil } })
    }

    @Test func aTruncateOfABigLayerIsAWholeLayerBanOrMarker() throws {
        let layer = Layer(name: "main roads", tileMatrixSet: .webMercatorQuad, zooms: 0...14, buffer: .none)
        let w = try window(fullExtent: true, zooms: 0...14)
        let purge = payloads(
            w,
            layer: layer,
            subscription(.httpPurge, url: "http://c/v1/{layer}.x/{z}/{x}/{y}", maxTiles: 1000)
        )
        #expect(purge.count == 1)
        #expect(String(decoding: purge[0].1.bytes, as: UTF8.self) == "BAN / ^/v1/main%20roads\\.x/\n")
        let expire = payloads(w, layer: layer, subscription(.expireFiles, url: "file:///x", maxTiles: 1000))
        #expect(expire.count == 1)
        #expect(expire[0].1.contentType == ExpireFilesOutput.wholeLayerContentType)
        guard case .object(let members) = try JSONValue.parse(expire[0].1.bytes) else {
            Issue.record("the marker is not a JSON object")
            return
        }
        let fields = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(fields["layer"] == .string("main roads"))
        #expect(fields["min_zoom"] == .number(0) && fields["max_zoom"] == .number(14))
    }
}
