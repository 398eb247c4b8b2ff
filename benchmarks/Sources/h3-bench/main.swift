// Side-by-side H3 timings: reads the points file written by benchmarks/h3/run.py and prints
// one "name ns_per_op" line per measurement for the driver to compare with h3ronpy and h3.
// Usage: h3-bench POINTS_FILE [OPERATION...]   (lines: lat lng, degrees; no operation = all)
import TesseraGeometry
import TesseraGrids

#if canImport(Glibc)
    import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1e9 + Double(ts.tv_nsec)
}

/// Best of `rounds` runs of `body`, in ns per operation.
func measure(_ ops: Int, rounds: Int = 5, _ body: () -> UInt64) -> Double {
    var best = Double.infinity
    var sink: UInt64 = 0
    for _ in 0..<rounds {
        let t0 = now()
        sink &+= body()
        best = min(best, (now() - t0) / Double(ops))
    }
    if sink == 42 { print("") }
    return best
}

let path = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "benchmarks/out/h3-points.txt"
/// Operations to run (all when none are named), so a profiler can look at one at a time.
let selected = Set(CommandLine.arguments.dropFirst(2))
func wanted(_ name: String) -> Bool { selected.isEmpty || selected.contains(name) }
guard let file = fopen(path, "r") else {
    print("cannot open \(path)")
    exit(1)
}
var bytes: [UInt8] = []
var chunk = [UInt8](repeating: 0, count: 1 << 16)
while true {
    let n = fread(&chunk, 1, chunk.count, file)
    if n <= 0 { break }
    bytes += chunk[0..<n]
}
fclose(file)
var points: [H3LatLng] = []
for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
    let f = line.split(separator: " ")
    points.append(try! H3LatLng(latitude: Double(f[0])!, longitude: Double(f[1])!))
}

for res in [9, 15] where wanted("latlng_to_cell_res\(res)") {
    let r = try! H3Resolution(res)
    let ns = points.withUnsafeBufferPointer { buffer in
        // Best of 9, as run.py does for h3ronpy's call: the machine is shared, the minimum is the signal.
        measure(buffer.count, rounds: 9) {
            var acc: UInt64 = 0
            for p in buffer { acc &+= p.cell(at: r).rawValue }
            return acc
        }
    }
    print("latlng_to_cell_res\(res) \(ns)")
}

let cells = points.prefix(100_000).map { $0.cell(at: try! H3Resolution(9)) }
if wanted("cell_to_boundary") {
    let ns = cells.withUnsafeBufferPointer { buffer in
        measure(buffer.count) {
            var acc: UInt64 = 0
            for c in buffer { acc &+= UInt64(c.boundary.count) }
            return acc
        }
    }
    print("cell_to_boundary \(ns)")
}
let diskCells = Array(cells.prefix(10_000))
if wanted("grid_disk_k2") {
    let ns = measure(diskCells.count) {
        var acc: UInt64 = 0
        for c in diskCells { acc &+= UInt64(try! c.disk(radius: 2).count) }
        return acc
    }
    print("grid_disk_k2 \(ns)")
}

// Grid distance and local IJ between each cell and the cell 0.01° further north (a few cells away;
// run.py builds the same pairs for the reference libraries). Pairs the reference refuses count too.
let partners = points.prefix(cells.count).map { p in
    (try! H3LatLng(latitude: min(90, p.latitude + 0.01), longitude: p.longitude)).cell(at: try! H3Resolution(9))
}
if wanted("grid_distance") {
    let ns = measure(cells.count) {
        var acc: UInt64 = 0
        for i in cells.indices {
            do {
                acc &+= UInt64(try cells[i].gridDistance(to: partners[i]))
            } catch {
                acc &+= 1
            }
        }
        return acc
    }
    print("grid_distance \(ns)")
}
if wanted("cell_to_local_ij") {
    let ns = measure(cells.count) {
        var acc: UInt64 = 0
        for i in cells.indices {
            do {
                acc &+= UInt64(truncatingIfNeeded: try cells[i].localIJ(of: partners[i]).i)
            } catch {
                acc &+= 1
            }
        }
        return acc
    }
    print("cell_to_local_ij \(ns)")
}

// Polygon cover: a 1°×1° star near San Francisco at res 9, both modes.
var ring: [Position] = []
for i in 0..<12 {
    let a = Double(i) * .pi / 6
    let r = i % 2 == 0 ? 0.5 : 0.35
    ring.append(Position(longitude: -122.4 + r * cos(a), latitude: 37.7 + r * sin(a)))
}
ring.append(ring[0])
let polygon = Geometry.polygon(Polygon([ring]))
for mode in [H3Containment.center, .overlap] where wanted("polygon_cover_\(mode.rawValue)") {
    let ns = measure(1, rounds: 3) {
        UInt64(try! H3Polyfill.cells(covering: polygon, at: H3Resolution(9), containment: mode).count)
    }
    print("polygon_cover_\(mode.rawValue) \(ns)")
}
