// Times Tessera's exact tile cover and WKB decoding on a GeoJSON file, for the side-by-side
// drivers in benchmarks/tiles/. Prints one JSON object.
//
//   cover-bench cover FILE ZOOMS BUFFER REPEAT   e.g. cover-bench cover buildings.geojson 16-18 64/4096 5
//   cover-bench wkb FILE REPEAT
import TesseraGeometry
import TesseraGrids

#if canImport(Glibc)
    import Glibc
#endif

func fail(_ message: String) -> Never {
    print("cover-bench: \(message)")
    exit(2)
}

func readFile(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { fail("cannot open \(path)") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return bytes
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// This process's peak resident memory (VmHWM). Not getrusage: its ru_maxrss survives exec,
/// so a child of a large Python process would report the parent's peak.
func peakRSSMegabytes() -> Double {
    let status = String(decoding: readFile("/proc/self/status"), as: UTF8.self)
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kilobytes / 1024
    }
    return .nan
}

let args = CommandLine.arguments
guard args.count >= 2 else { fail("usage: cover-bench cover FILE ZOOMS BUFFER REPEAT | wkb FILE REPEAT") }
let clock = ContinuousClock()

switch args[1] {
case "cover":
    guard args.count == 6, let repeats = Int(args[5]) else { fail("usage: cover-bench cover FILE ZOOMS BUFFER REPEAT") }
    let geometries: [Geometry]
    do {
        geometries = try GeoJSON.decode(readFile(args[2])).geometries
    } catch { fail("\(error)") }
    let rssBefore = peakRSSMegabytes()
    let zooms = (try? ZoomRange(parsing: args[3]))?.range ?? { fail("bad zooms \(args[3])") }()
    let buffer = (try? RenderBuffer(parsing: args[4])) ?? { fail("bad buffer \(args[4])") }()
    let cover = TileCover()
    var best = Double.infinity
    var tiles = 0
    var spans = 0
    for _ in 0..<repeats {
        var t = 0
        var s = 0
        let elapsed = clock.measure {
            for g in geometries {
                for set in try! cover.cover(g, zooms: zooms, buffer: buffer) {
                    t += set.count
                    s += set.spans.count
                }
            }
        }
        best = min(best, seconds(elapsed))
        tiles = t
        spans = s
    }
    print(
        """
        {"geometries":\(geometries.count),"tiles":\(tiles),"spans":\(spans),"seconds":\(best),\
        "geometries_per_s":\(Double(geometries.count) / best),"tiles_per_s":\(Double(tiles) / best),\
        "peak_rss_mb":\(peakRSSMegabytes()),"rss_before_mb":\(rssBefore)}
        """
    )
case "wkb":
    guard args.count == 4, let repeats = Int(args[3]) else { fail("usage: cover-bench wkb FILE REPEAT") }
    let geometries: [Geometry]
    do {
        geometries = try GeoJSON.decode(readFile(args[2])).geometries
    } catch { fail("\(error)") }
    let blobs = geometries.map { WKB.encode($0, srid: 4326) }
    let bytes = blobs.reduce(0) { $0 + $1.count }
    var best = Double.infinity
    var positions = 0
    for _ in 0..<repeats {
        var n = 0
        let elapsed = clock.measure {
            for b in blobs {
                let g = try! WKB.decode(b).geometry
                g.forEachPosition { _ in n += 1 }
            }
        }
        best = min(best, seconds(elapsed))
        positions = n
    }
    print(
        """
        {"geometries":\(blobs.count),"bytes":\(bytes),"positions":\(positions),"seconds":\(best),\
        "geometries_per_s":\(Double(blobs.count) / best),"mb_per_s":\(Double(bytes) / best / 1e6)}
        """
    )
default:
    fail("unknown mode \(args[1])")
}
