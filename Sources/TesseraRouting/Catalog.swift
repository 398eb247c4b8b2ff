import Logging
import PostgresNIO
import TesseraGeometry
import TesseraGrids

/// The layers and subscriptions as the database holds them now. Read at the start of each
/// batch, so edits to `tessera.layers` or `tessera.subscriptions` apply without a restart.
public struct Catalog: Sendable {
    public var layers: [String: Layer] = [:]
    public var subscriptions: [TileSubscription] = []
    /// Active or paused tile subscriptions per layer name (disabled ones receive nothing).
    public var subscribers: [String: [TileSubscription]] = [:]

    public init(layers: [Layer], subscriptions: [TileSubscription]) {
        for l in layers { self.layers[l.name] = l }
        self.subscriptions = subscriptions
        for s in subscriptions {
            for l in s.layers { subscribers[l, default: []].append(s) }
        }
    }

    public static func load(on connection: PostgresConnection, logger: Logger) async throws -> Catalog {
        var layers: [Layer] = []
        let layerRows = try await connection.query(
            "SELECT name, tile_matrix_set, min_zoom, max_zoom, buffer_pixels, buffer_extent FROM tessera.layers",
            logger: logger
        )
        for try await (name, tms, minZoom, maxZoom, pixels, extent) in layerRows.decode(
            (String, String, Int, Int, Int, Int).self
        ) {
            do {
                let set = try TileMatrixSet.named(tms)
                let zooms = max(minZoom, set.zooms.lowerBound)...min(max(maxZoom, minZoom), set.zooms.upperBound)
                layers.append(
                    Layer(
                        name: name,
                        tileMatrixSet: set,
                        zooms: zooms,
                        buffer: try RenderBuffer(pixels: pixels, extent: extent)
                    )
                )
            } catch {
                logger.error(
                    "layer is misconfigured; its changes are skipped",
                    metadata: ["layer": "\(name)", "error": "\(error)"]
                )
            }
        }
        var subscriptions: [TileSubscription] = []
        let subRows = try await connection.query(
            """
            SELECT id::text, name, layers, format, compression, debounce_ms, max_delay_ms, max_tiles, rollup, status,
                   ST_AsEWKB(filter)
            FROM tessera.subscriptions WHERE kind = 'tiles' AND status <> 'disabled'
            """,
            logger: logger
        )
        for try await (id, name, layers, format, compression, debounce, maxDelay, maxTiles, rollup, status, filter)
            in subRows.decode(
                (String, String, [String], String, String, Int, Int, Int, String, String, ByteBuffer?).self
            )
        {
            var area: Geometry?
            if let filter {
                do {
                    area = try WKB.decode(Array(filter.readableBytesView)).geometry
                } catch {
                    // The API validated it; a filter written by hand that cannot be read sends
                    // the subscriber everything rather than nothing.
                    logger.error(
                        "subscription filter is unreadable; sending every tile",
                        metadata: ["subscription": "\(name)", "error": "\(error)"]
                    )
                }
            }
            subscriptions.append(
                TileSubscription(
                    id: id,
                    name: name,
                    layers: layers,
                    format: format,
                    compression: compression,
                    debounceMilliseconds: debounce,
                    maxDelayMilliseconds: maxDelay,
                    maxTiles: maxTiles,
                    rollUp: TileSubscription.RollUp(rawValue: rollup) ?? .parents,
                    isActive: status == "active",
                    filter: area
                )
            )
        }
        return Catalog(layers: layers, subscriptions: subscriptions)
    }
}
