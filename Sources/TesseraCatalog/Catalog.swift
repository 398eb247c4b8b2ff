import Logging
import PostgresNIO
import TesseraGeometry
import TesseraGrids
import TesseraPostgres

/// The layers and tile subscriptions as the database holds them now. Read at the start of each
/// batch, so edits to `tessera.layers` or `tessera.subscriptions` apply without a restart.
public struct Catalog: Sendable {
    public var layers: [String: Layer] = [:]
    /// Active and paused tile subscriptions (disabled ones receive nothing).
    public var subscriptions: [Subscription] = []
    /// The same, per layer name.
    public var subscribers: [String: [Subscription]] = [:]

    public init(layers: [Layer], subscriptions: [Subscription]) {
        for l in layers { self.layers[l.name] = l }
        self.subscriptions = subscriptions
        for s in subscriptions {
            for l in s.settings.layers { subscribers[l, default: []].append(s) }
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
            var definition = LayerDefinition(name: name)
            definition.tileMatrixSet = tms
            definition.minZoom = minZoom
            definition.maxZoom = maxZoom
            definition.bufferPixels = pixels
            definition.bufferExtent = extent
            do {
                layers.append(try Layer(definition))
            } catch {
                logger.error(
                    "layer is misconfigured; its changes are skipped",
                    metadata: ["layer": "\(name)", "error": "\(error)"]
                )
            }
        }
        let subscriptions = try await SubscriptionStore.all(
            kind: .tiles,
            includeDisabled: false,
            on: connection,
            logger: logger
        ).map(\.subscription)
        return Catalog(layers: layers, subscriptions: subscriptions)
    }
}
