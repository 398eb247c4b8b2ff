import ArgumentParser
import TesseraGeometry
import TesseraGrids

struct TilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiles",
        abstract: "Tile matrix set tools.",
        subcommands: [TilesCover.self]
    )
}

struct TilesCover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cover",
        abstract: "Print the z/x/y tiles a GeoJSON geometry touches, render buffer included.",
        discussion: """
            Reads a GeoJSON geometry, Feature or FeatureCollection and prints one z/x/y per line \
            (the expire-list format of osm2pgsql, imposm3, tegola and mod_tile), zoom by zoom, \
            row by row. A tile is listed when its square grown by the buffer intersects the \
            geometry, edges drawn straight in the tile matrix set's projected CRS.
            """
    )

    @Option(name: .long, help: "A zoom (14) or an inclusive range (10-14).")
    var zoom: String

    @Option(name: .long, help: "Render buffer as pixels/extent, e.g. 64/4096 (Martin, tegola) or 256/4096 (ST_AsMVT).")
    var buffer: String = "0"

    @Option(name: .long, help: "WebMercatorQuad, WorldCRS84Quad, or a path to an OGC TMS 2.0 JSON file.")
    var tms: String = "WebMercatorQuad"

    @Option(
        name: .long,
        help:
            "Most tiles to print per zoom; a zoom with more is printed as its ancestors at the deepest zoom that fits (purge their descendants)."
    )
    var maxTiles: Int?

    @Argument(help: "GeoJSON file; '-' or nothing reads standard input.")
    var file: String?

    func run() async throws {
        do {
            try execute()
        } catch let error as TileError {
            printError(error.message)
            throw ExitCode(2)
        } catch let error as GeoJSONError {
            printError("\(file ?? "stdin"): \(error.description)")
            throw ExitCode(2)
        }
    }

    func execute() throws {
        let zooms = try ZoomRange(parsing: zoom)
        let buffer = try RenderBuffer(parsing: self.buffer)
        let set = try loadTileMatrixSet(tms)
        if let maxTiles, maxTiles < 1 { throw ValidationError("--max-tiles must be at least 1") }
        var progress = Progress(resultsOnStandardOutput: true)
        progress.update("reading \(file ?? "standard input")…", force: true)
        let document = try GeoJSON.decode(try CommandInput.readAll(file))
        let geometries = document.geometries
        let cover = TileCover(set)
        var out = StandardOutput()
        var printed = 0
        // Zoom by zoom, so that a huge input shows how far it got (the deepest zooms take the longest).
        for zoom in zooms.range {
            progress.update(
                "\(geometries.count) geometries: covering zoom \(zoom) (\(zoom - zooms.range.lowerBound + 1) of \(zooms.range.count)), \(printed) tiles so far",
                force: true
            )
            guard var tiles = try cover.cover(geometries, zooms: zoom...zoom, buffer: buffer).first else { continue }
            if let maxTiles, tiles.count > maxTiles {
                let exact = tiles
                tiles = tiles.rolledUp(maxTiles: maxTiles)
                progress.finish()
                printError(
                    "zoom \(exact.zoom): \(exact.count) tiles exceed --max-tiles \(maxTiles); printed their \(tiles.count) ancestors at zoom \(tiles.zoom) instead (purge every descendant of them)"
                )
            }
            for t in tiles { out.write(t.description) }
            printed += tiles.count
        }
        out.flush()
        progress.finish()
    }
}

/// A built-in tile matrix set by name, or one read from a TMS 2.0 JSON file.
func loadTileMatrixSet(_ nameOrPath: String) throws -> TileMatrixSet {
    if nameOrPath.hasSuffix(".json") || nameOrPath.contains("/") {
        return try TileMatrixSet(json: CommandInput.readAll(nameOrPath))
    }
    return try TileMatrixSet.named(nameOrPath)
}
