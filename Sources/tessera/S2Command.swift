import ArgumentParser
import TesseraGeometry
import TesseraGrids

struct S2Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s2",
        abstract: "S2 cells, identical to Google's s2geometry.",
        subcommands: [S2Index.self, S2Cover.self]
    )
}

struct S2Index: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Print the cell token of each 'lat,lng' line.",
        discussion: """
            Reads one 'lat,lng' pair per line (degrees, WGS84) and prints the token of the \
            containing cell at --level, one per line, in input order. A bad line stops the \
            command with its line number and field, and a non-zero exit, before anything is \
            printed.
            """
    )

    @Option(name: .long, help: "Cell level, 0 (cube face) to 30 (leaf).")
    var level: Int

    @Argument(help: "Input file; '-' or nothing reads standard input.")
    var file: String?

    func run() async throws {
        let cellLevel: S2Level
        do {
            cellLevel = try S2Level(level)
        } catch {
            printError("--level: \(error.message)")
            throw ExitCode(2)
        }
        let source = file ?? "stdin"
        // All lines are checked before the first token is printed, so that bad input leaves
        // no partial output behind.
        var cells: [S2CellID] = []
        var lineNumber = 0
        let text = String(decoding: try CommandInput.readAll(file), as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.s2Trimmed
            if trimmed.isEmpty { continue }
            do {
                let parts = trimmed.split(separator: ",", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw S2InputError("expected 'lat,lng', found \(parts.count) field(s)")
                }
                guard let lat = Double(parts[0].s2Trimmed) else {
                    throw S2InputError("latitude: '\(parts[0])' is not a number")
                }
                guard let lng = Double(parts[1].s2Trimmed) else {
                    throw S2InputError("longitude: '\(parts[1])' is not a number")
                }
                let position: S2LatLng
                do {
                    position = try S2LatLng(latitude: lat, longitude: lng)
                } catch {
                    throw S2InputError(error.message)
                }
                cells.append(position.cell(at: cellLevel))
            } catch let error as S2InputError {
                printError("\(source):\(lineNumber): \(error.message)")
                throw ExitCode(2)
            }
        }
        var out = StandardOutput()
        for cell in cells { out.write(cell.token) }
        out.flush()
    }
}

struct S2Cover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cover",
        abstract: "Print the cell tokens covering GeoJSON geometries, ascending.",
        discussion: """
            Reads a GeoJSON geometry, Feature or FeatureCollection and prints the tokens of a \
            covering of all its geometries together, in cell id order, as s2geometry's \
            S2RegionCoverer would: cells between --min-level and --max-level, on levels \
            min-level + k * level-mod, at most --max-cells of them unless the levels force more. \
            --interior prints an interior covering instead (cells entirely inside polygons). \
            --level L prints every cell at level L that touches the geometries. Polygon and line \
            edges are geodesics (great-circle arcs), S2's model.
            """
    )

    @Option(name: .long, help: "Coarsest level, 0 to 30.")
    var minLevel: Int?

    @Option(name: .long, help: "Finest level, 0 to 30.")
    var maxLevel: Int?

    @Option(name: .long, help: "Cell budget (soft, as S2RegionCoverer).")
    var maxCells: Int = 8

    @Option(name: .long, help: "Use only levels min-level + k * level-mod (1 to 3).")
    var levelMod: Int = 1

    @Flag(name: .long, help: "Print an interior covering.")
    var interior = false

    @Option(name: .long, help: "Instead: every cell at this level that touches the geometries.")
    var level: Int?

    @Argument(help: "GeoJSON file; '-' or nothing reads standard input.")
    var file: String?

    func validate() throws {
        if level != nil {
            guard minLevel == nil, maxLevel == nil, !interior else {
                throw ValidationError("--level cannot be combined with --min-level, --max-level or --interior")
            }
        } else {
            guard minLevel != nil, maxLevel != nil else {
                throw ValidationError("--min-level and --max-level are required (or --level for a fixed-level cover)")
            }
        }
    }

    func run() async throws {
        let source = file ?? "stdin"
        let fixedLevel: S2Level?
        let coverer: S2RegionCoverer?
        do {
            if let level {
                fixedLevel = try S2Level(level)
                coverer = nil
            } else {
                fixedLevel = nil
                coverer = S2RegionCoverer(
                    options: try S2RegionCoverer.Options(
                        minLevel: minLevel ?? 0,
                        maxLevel: maxLevel ?? 30,
                        maxCells: maxCells,
                        levelMod: levelMod
                    )
                )
            }
        } catch {
            printError(level != nil ? "--level: \(error.message)" : error.message)
            throw ExitCode(2)
        }
        let region: S2GeometryRegion
        do {
            let document = try GeoJSON.decode(try CommandInput.readAll(file))
            region = try S2GeometryRegion(document.geometries)
        } catch let error as GeoJSONError {
            printError("\(source): \(error.description)")
            throw ExitCode(2)
        } catch let error as S2Error {
            printError("\(source): \(error.message)")
            throw ExitCode(2)
        }
        let cells: [S2CellID]
        if let fixedLevel {
            cells = S2RegionCoverer.cells(at: fixedLevel, touching: region)
        } else if let coverer {
            cells = interior ? coverer.interiorCovering(of: region) : coverer.covering(of: region)
        } else {
            cells = []
        }
        var out = StandardOutput()
        for cell in cells { out.write(cell.token) }
        out.flush()
    }
}

/// A bad input line, with a message naming the field and reason.
struct S2InputError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

extension StringProtocol {
    fileprivate var s2Trimmed: Substring {
        let s = self[...]
        guard let first = s.firstIndex(where: { !$0.isWhitespace }),
            let last = s.lastIndex(where: { !$0.isWhitespace })
        else { return Substring() }
        return Substring(s[first...last])
    }
}
