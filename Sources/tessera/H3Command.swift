import ArgumentParser
import TesseraGeometry
import TesseraGrids

struct H3Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "h3",
        abstract: "H3 v4 cells, identical to the reference library.",
        subcommands: [H3Index.self, H3Cover.self, H3Distance.self]
    )
}

extension H3Containment: ExpressibleByArgument {}

struct H3Index: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Print the cell of each 'lat,lng' line as 15-character hex.",
        discussion: """
            Reads one 'lat,lng' pair per line (degrees, WGS84) and prints the containing cell \
            at --res, one per line, in input order. A bad line stops the command with its line \
            number and a non-zero exit.
            """
    )

    @Option(name: .long, help: "Resolution, 0 to 15.")
    var res: Int

    @Argument(help: "Input file; '-' or nothing reads standard input.")
    var file: String?

    func run() async throws {
        let resolution: H3Resolution
        do {
            resolution = try H3Resolution(res)
        } catch {
            printError("--res: \(error.reason)")
            throw ExitCode(2)
        }
        var out = StandardOutput()
        var lineNumber = 0
        let text = String(decoding: try CommandInput.readAll(file), as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.trimmingWhitespace
            if trimmed.isEmpty { continue }
            do {
                let parts = trimmed.split(separator: ",", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw H3InputError("expected 'lat,lng', found \(parts.count) field(s)")
                }
                guard let lat = Double(parts[0].trimmingWhitespace) else {
                    throw H3InputError("latitude: '\(parts[0])' is not a number")
                }
                guard let lng = Double(parts[1].trimmingWhitespace) else {
                    throw H3InputError("longitude: '\(parts[1])' is not a number")
                }
                let point: H3LatLng
                do {
                    point = try H3LatLng(latitude: lat, longitude: lng)
                } catch {
                    throw H3InputError(error.description)
                }
                out.write(point.cell(at: resolution).description)
            } catch let error as H3InputError {
                out.flush()
                printError("\(file ?? "stdin"):\(lineNumber): \(error.message)")
                throw ExitCode(2)
            }
        }
        out.flush()
    }
}

struct H3Cover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cover",
        abstract: "Print the cells covering GeoJSON polygons, ascending.",
        discussion: """
            Reads a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection (of polygons) and \
            prints the cells at --res, each once, ascending. --contain center keeps cells whose \
            centre is inside (h3 polygon_to_cells); --contain overlap keeps every cell the polygon \
            touches (h3shape_to_cells_experimental with contain='overlap').
            """
    )

    @Option(name: .long, help: "Resolution, 0 to 15.")
    var res: Int

    @Option(name: .long, help: "center or overlap.")
    var contain: H3Containment = .center

    @Argument(help: "GeoJSON file; '-' or nothing reads standard input.")
    var file: String?

    func run() async throws {
        let source = file ?? "stdin"
        do {
            let resolution = try H3Resolution(res)
            let document = try GeoJSON.decode(try CommandInput.readAll(file))
            var cells = Set<H3Cell>()
            for (i, geometry) in document.geometries.enumerated() {
                do {
                    cells.formUnion(try H3Polyfill.cells(covering: geometry, at: resolution, containment: contain))
                } catch {
                    throw H3InputError("geometry \(i): \(error.description)")
                }
            }
            var out = StandardOutput()
            for cell in cells.sorted() { out.write(cell.description) }
            out.flush()
        } catch let error as H3Error {
            printError("--res: \(error.reason)")
            throw ExitCode(2)
        } catch let error as GeoJSONError {
            printError("\(source): \(error.description)")
            throw ExitCode(2)
        } catch let error as H3InputError {
            printError("\(source): \(error.message)")
            throw ExitCode(2)
        }
    }
}

struct H3Distance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distance",
        abstract: "Print the grid distance (number of steps) between two cells.",
        discussion: """
            Both cells are hex strings at the same resolution. Where the reference library has no \
            answer (cells too far apart, or on opposite sides of a pentagon) the command says so \
            and exits with status 1; malformed cells exit with status 2.
            """
    )

    @Argument(help: "The first cell, as hex.")
    var from: String

    @Argument(help: "The second cell, as hex.")
    var to: String

    func run() async throws {
        let a: H3Cell
        let b: H3Cell
        do {
            a = try H3Cell(from)
            b = try H3Cell(to)
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        do {
            var out = StandardOutput()
            out.write(String(try a.gridDistance(to: b)))
            out.flush()
        } catch {
            printError("\(error.code): \(error.reason)")
            throw ExitCode(error.code == .resolutionMismatch ? 2 : 1)
        }
    }
}

/// A bad input line or geometry, with a message naming the field and reason.
struct H3InputError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

extension StringProtocol {
    fileprivate var trimmingWhitespace: Substring {
        let s = self[...]
        guard let first = s.firstIndex(where: { !$0.isWhitespace }),
            let last = s.lastIndex(where: { !$0.isWhitespace })
        else { return Substring() }
        return Substring(s[first...last])
    }
}
