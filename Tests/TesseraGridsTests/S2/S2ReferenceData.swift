import Foundation
import TesseraTestSupport
import Testing

/// The s2geometry reference vectors for the S2 tests: committed files under `grids/s2/`, and a
/// million points that `grids/generate` writes into `grids/generated/` (before the tests in
/// `scripts/test`, else on first use). Python is `TESSERA_PYTHON`, default `.venv/bin/python` in
/// the package root; a missing interpreter fails the test.
enum S2ReferenceData {
    /// The package root, found from this file's path.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    struct GeneratorFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The committed file at `relativePath` under the package root.
    static func committed(_ relativePath: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(relativePath))
    }

    /// Runs `grids/s2/check_coverings.py` on `items` ({geometry, cells}) and returns its verdicts.
    static func check(_ items: [[String: Any]]) throws -> [(covers: Bool, detail: String)] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-s2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.json")
        let output = directory.appendingPathComponent("out.json")
        try JSONSerialization.data(withJSONObject: items).write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try python())
        process.arguments = [root.appendingPathComponent("grids/s2/check_coverings.py").path, input.path, output.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GeneratorFailure(description: "check_coverings.py exited \(process.terminationStatus)")
        }
        let list = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [[String: Any]] ?? []
        return list.map { ($0["covers"] as? Bool ?? false, $0["detail"] as? String ?? "") }
    }

    /// The Python interpreter with s2geometry: `TESSERA_PYTHON`, else `.venv/bin/python`.
    static func python() throws -> String {
        let python =
            ProcessInfo.processInfo.environment["TESSERA_PYTHON"]
            ?? root.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw GeneratorFailure(description: "no Python at \(python); run scripts/setup or set TESSERA_PYTHON")
        }
        return python
    }

    /// One reference point: its degrees, leaf id and the id of its ancestor at `index % 31`.
    struct PointVector {
        var latitude: Double
        var longitude: Double
        var leaf: UInt64
        var atLevel: UInt64
    }

    /// The million reference points (seed 4).
    static func points() throws -> [PointVector] {
        let data = try Data(contentsOf: GeneratedVectors.path("s2-points-1000000-seed4.bin", of: "s2"))
        let count = data.count / 32
        return data.withUnsafeBytes { raw in
            (0..<count).map { k in
                let base = k * 32
                return PointVector(
                    latitude: Double(
                        bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base, as: UInt64.self))
                    ),
                    longitude: Double(
                        bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8, as: UInt64.self))
                    ),
                    leaf: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 16, as: UInt64.self)),
                    atLevel: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 24, as: UInt64.self))
                )
            }
        }
    }

    /// One reference cell from `grids/s2/cells.txt`.
    struct CellVector {
        var id: UInt64
        var token: String
        var level: Int
        var neighbors: [UInt64]
        var vertices: [(latitude: Double, longitude: Double)]
        var center: (latitude: Double, longitude: Double)
        var rect: (south: Double, north: Double, west: Double, east: Double)
        var area: Double
    }

    /// The committed reference cells (every level, with neighbours, vertices and bounds).
    static func cells() throws -> [CellVector] {
        let text = String(decoding: try committed("grids/s2/cells.txt"), as: UTF8.self)
        return text.split(separator: "\n").map { line in
            let f = line.split(separator: " ").map(String.init)
            let d = f.map { Double($0) ?? .nan }
            return CellVector(
                id: UInt64(f[0])!,
                token: f[1],
                level: Int(f[2])!,
                neighbors: f[3...6].map { UInt64($0)! },
                vertices: (0..<4).map { (d[7 + 2 * $0], d[8 + 2 * $0]) },
                center: (d[15], d[16]),
                rect: (d[17], d[18], d[19], d[20]),
                area: d[21]
            )
        }
    }
}
