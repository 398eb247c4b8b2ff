import TesseraCatalog
import TesseraGrids

/// Turns a closed coalescing window into the invalidation events a subscription receives,
/// respecting its tile cap.
///
/// - `parents`: while the window lists more than `maxTiles` tiles, the zoom with the most
///   tiles is replaced by its parents (marked `rolled_up_from`, meaning "purge these tiles
///   and every descendant down to that zoom"); one event.
/// - `split`: the tiles are cut, zoom by zoom and row by row, into events of at most
///   `maxTiles` tiles each, numbered `part` of `parts`, sharing the window's metadata.
/// `zxy` payloads are always split, whatever `rollup` says: a `z/x/y` line cannot say "and every
/// descendant", and a consumer that purges exactly the lines it reads (mod_tile's
/// `render_expired`, tegola's tile-list purge) would keep serving the stale descendants.
/// The other outputs (`http-purge`, `expire-files`) are split likewise.
/// A TRUNCATE window lists, for each zoom of the layer, the whole zoom-0 matrix rolled up
/// from that zoom: everything is stale. For `zxy` and the purge outputs, a layer whose tiles number
/// no more than `max_tiles` is listed tile by tile instead; a bigger one stays rolled up, and the
/// purge outputs turn it into their whole-layer form (``PurgeRequests``).
public enum WindowPayloads {
    public static func invalidations(
        window: PendingWindow,
        layer: Layer,
        subscription: Subscription,
        newEventID: () -> String
    ) -> [TileInvalidation] {
        var zooms: [ZoomTiles]
        // Outputs whose consumers purge exactly the tiles listed: never rolled up (see above).
        let exact = subscription.settings.format == .zxy || subscription.settings.output != .webhook
        let maxTiles = subscription.settings.maxTiles
        if window.fullExtent && exact && wholeLayerTileCount(layer) <= maxTiles {
            // A TRUNCATE of a layer small enough to list: every tile of every zoom, by name.
            zooms = layer.zooms.compactMap { z in
                guard let m = try? layer.tileMatrixSet.matrix(at: z) else { return nil }
                return ZoomTiles(
                    tiles: TileSet(
                        zoom: z,
                        spans: (0..<m.matrixHeight).map { TileSpan(y: Int32($0), x0: 0, x1: Int32(m.matrixWidth - 1)) }
                    )
                )
            }
        } else if window.fullExtent {
            let top = layer.tileMatrixSet.matrices[0]
            let all = TileSet(
                zoom: 0,
                spans: (0..<top.matrixHeight).map { TileSpan(y: Int32($0), x0: 0, x1: Int32(top.matrixWidth - 1)) }
            )
            zooms = layer.zooms.map { ZoomTiles(tiles: all, rolledUpFrom: $0 == 0 ? nil : $0) }
        } else {
            zooms = window.zooms.keys.sorted().map { ZoomTiles(tiles: window.zooms[$0]!) }
        }
        func event(_ zooms: [ZoomTiles], part: Int, parts: Int) -> TileInvalidation {
            TileInvalidation(
                eventID: newEventID(),
                subscriptionID: subscription.key,
                layer: layer.name,
                tileMatrixSet: layer.tileMatrixSet.identifier,
                zooms: zooms,
                bbox: window.bbox,
                changeCount: window.changeCount,
                windowStartMilliseconds: window.firstChangeMilliseconds,
                windowEndMilliseconds: window.lastChangeMilliseconds,
                part: part,
                parts: parts
            )
        }
        let total = zooms.reduce(0) { $0 + $1.tiles.count }
        guard total > maxTiles else { return [event(zooms, part: 1, parts: 1)] }
        let mode = exact ? .split : subscription.settings.rollUp
        switch mode {
        case .parents:
            return [event(rolledUp(zooms, maxTiles: maxTiles), part: 1, parts: 1)]
        case .split:
            let chunks = split(zooms, maxTiles: maxTiles)
            return chunks.enumerated().map { event($1, part: $0 + 1, parts: chunks.count) }
        }
    }

    /// Every tile of the layer's zooms (saturating: a deep layer has more than `Int` can count).
    static func wholeLayerTileCount(_ layer: Layer) -> Int {
        var total = 0
        for z in layer.zooms {
            guard let m = try? layer.tileMatrixSet.matrix(at: z) else { continue }
            let (product, overflow) = m.matrixWidth.multipliedReportingOverflow(by: m.matrixHeight)
            let (sum, overflow2) = total.addingReportingOverflow(product)
            if overflow || overflow2 { return .max }
            total = sum
        }
        return total
    }

    static func rolledUp(_ input: [ZoomTiles], maxTiles: Int) -> [ZoomTiles] {
        var zooms = input
        while zooms.reduce(0, { $0 + $1.tiles.count }) > maxTiles {
            guard
                let i = zooms.indices.filter({ zooms[$0].tiles.zoom > 0 && zooms[$0].tiles.count > 1 })
                    .max(by: { zooms[$0].tiles.count < zooms[$1].tiles.count })
            else { break }
            let z = zooms[i]
            zooms[i] = ZoomTiles(tiles: z.tiles.ancestors(levels: 1), rolledUpFrom: z.rolledUpFrom ?? z.tiles.zoom)
        }
        return zooms
    }

    static func split(_ zooms: [ZoomTiles], maxTiles: Int) -> [[ZoomTiles]] {
        var chunks: [[ZoomTiles]] = []
        var current: [ZoomTiles] = []
        var room = maxTiles
        for z in zooms {
            var spans: [TileSpan] = []
            for var s in z.tiles.spans {
                while s.count > 0 {
                    if room == 0 {
                        if !spans.isEmpty {
                            current.append(
                                ZoomTiles(
                                    tiles: TileSet(zoom: z.tiles.zoom, spans: spans),
                                    rolledUpFrom: z.rolledUpFrom
                                )
                            )
                        }
                        chunks.append(current)
                        current = []
                        spans = []
                        room = maxTiles
                    }
                    let take = min(room, s.count)
                    spans.append(TileSpan(y: s.y, x0: s.x0, x1: s.x0 + Int32(take - 1)))
                    s.x0 += Int32(take)
                    room -= take
                }
            }
            if !spans.isEmpty {
                current.append(
                    ZoomTiles(tiles: TileSet(zoom: z.tiles.zoom, spans: spans), rolledUpFrom: z.rolledUpFrom)
                )
            }
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }
}
