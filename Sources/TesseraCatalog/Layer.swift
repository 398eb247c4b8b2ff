import Logging
import PostgresNIO
import TesseraGeometry
import TesseraGrids
import TesseraPostgres

/// What a tile server serves from one or more tables, as `tessera.layers` stores it and the
/// configuration file declares it: a grid by name, the zooms, and the render buffer.
public struct LayerDefinition: Sendable, Equatable {
    public var name: String
    public var tileMatrixSet = "WebMercatorQuad"
    public var minZoom = 0
    public var maxZoom = 14
    public var bufferPixels = 64
    public var bufferExtent = 4096

    public init(name: String) { self.name = name }

    /// Creates or updates the layers, by name (others are left alone), inside the caller's session.
    public static func declare(_ layers: [LayerDefinition], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        for l in layers {
            try await connection.perform(
                """
                INSERT INTO tessera.layers (name, tile_matrix_set, min_zoom, max_zoom, buffer_pixels, buffer_extent)
                VALUES (\(l.name), \(l.tileMatrixSet), \(l.minZoom), \(l.maxZoom), \(l.bufferPixels), \(l.bufferExtent))
                ON CONFLICT (name) DO UPDATE SET tile_matrix_set = EXCLUDED.tile_matrix_set, min_zoom = EXCLUDED.min_zoom,
                    max_zoom = EXCLUDED.max_zoom, buffer_pixels = EXCLUDED.buffer_pixels,
                    buffer_extent = EXCLUDED.buffer_extent, updated_at = now()
                """,
                logger: logger
            )
        }
    }
}

/// A layer resolved for covering: the tile matrix set itself, the zooms it serves (clamped to the
/// set's), and the render buffer.
public struct Layer: Hashable, Sendable {
    public let name: String
    public let tileMatrixSet: TileMatrixSet
    public let zooms: ClosedRange<Int>
    public let buffer: RenderBuffer

    public init(name: String, tileMatrixSet: TileMatrixSet, zooms: ClosedRange<Int>, buffer: RenderBuffer) {
        self.name = name
        self.tileMatrixSet = tileMatrixSet
        self.zooms = zooms
        self.buffer = buffer
    }

    /// - Throws: when the set is unknown or the buffer unusable.
    public init(_ definition: LayerDefinition) throws {
        let set = try TileMatrixSet.named(definition.tileMatrixSet)
        let minZoom = definition.minZoom
        let maxZoom = definition.maxZoom
        self.init(
            name: definition.name,
            tileMatrixSet: set,
            zooms: max(minZoom, set.zooms.lowerBound)...min(max(maxZoom, minZoom), set.zooms.upperBound),
            buffer: try RenderBuffer(pixels: definition.bufferPixels, extent: definition.bufferExtent)
        )
    }
}
