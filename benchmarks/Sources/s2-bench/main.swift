// Side-by-side S2 timings: reads the points file written by benchmarks/s2/run.py and prints one
// "name ns_per_op" line per measurement, on the same workloads as benchmarks/s2/s2_native.cc.
// Usage: s2-bench POINTS_FILE [NAME...]   (lines: "lat lng", degrees; NAMEs pick measurements,
// e.g. for `valgrind --tool=callgrind`; all of them by default)
import TesseraGeometry
import TesseraGrids

#if canImport(Glibc)
    import Glibc
#endif

/// This thread's CPU time in ns: unlike wall time, it does not count the time other processes
/// on a shared machine hold the core (both programs measure the same way).
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) * 1e9 + Double(ts.tv_nsec)
}

/// Best of `rounds` runs of `body`, in ns per operation. Many short rounds, so that the best
/// one is likely to have run undisturbed on a shared machine.
func measure(_ ops: Int, rounds: Int = 25, _ body: () -> UInt64) -> Double {
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

/// The measurements named on the command line after the points file; empty means all.
let selected = Set(CommandLine.arguments.dropFirst(2))

/// Runs and prints measurement `name` when it is selected.
func report(_ name: String, _ ns: @autoclosure () -> Double) {
    guard selected.isEmpty || selected.contains(name) else { return }
    print(name, (ns() * 100).rounded() / 100)
}

let path = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "benchmarks/out/s2-points.txt"
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
var points: [S2LatLng] = []
// The first 200,000 points of the file: enough to defeat the caches' favour, short enough for
// 25 rounds.
for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n").prefix(200_000) {
    let f = line.split(separator: " ")
    points.append(try! S2LatLng(latitude: Double(f[0])!, longitude: Double(f[1])!))
}

report(
    "latlng_to_cell_leaf",
    measure(points.count) {
        var acc: UInt64 = 0
        for p in points { acc &+= p.leafCell.id }
        return acc
    }
)
let level12 = try! S2Level(12)
report(
    "latlng_to_cell_level12",
    measure(points.count) {
        var acc: UInt64 = 0
        for p in points { acc &+= p.cell(at: level12).id }
        return acc
    }
)
let cells = points.map { $0.cell(at: level12) }
report(
    "cell_to_token",
    measure(cells.count) {
        var acc: UInt64 = 0
        for c in cells { acc &+= UInt64(c.token.utf8.count) }
        return acc
    }
)
report(
    "cell_edge_neighbors",
    measure(cells.count) {
        var acc: UInt64 = 0
        for c in cells { acc &+= c.edgeNeighbors[0].id }
        return acc
    }
)

// The benchmark polygon: a 12-point star of radius 0.5°/0.35° around (37.7, -122.4).
var ring: [Position] = []
for i in 0..<12 {
    let a = Double(i) * .pi / 6
    let r = i % 2 == 0 ? 0.5 : 0.35
    ring.append(Position(longitude: -122.4 + r * cos(a), latitude: 37.7 + r * sin(a)))
}
ring.append(ring[0])
let star = try! S2GeometryRegion(.polygon(Polygon([ring])))
for (name, maxCells) in [("cover_star_8cells", 8), ("cover_star_200cells", 200)] {
    let coverer = S2RegionCoverer(options: try! .init(minLevel: 4, maxLevel: 16, maxCells: maxCells))
    let reps = 20
    report(
        name,
        measure(reps) {
            var acc: UInt64 = 0
            for _ in 0..<reps { acc &+= UInt64(coverer.covering(of: star).count) }
            return acc
        }
    )
}
