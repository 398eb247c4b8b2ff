import Foundation
import TesseraTestSupport
import Testing

/// `tessera s2 index` and `tessera s2 cover`, run as a user would, against the s2geometry
/// reference values committed in `grids/s2/` (`cells.txt`, `coverings.json`).
@Suite struct S2CommandTests {
    /// A reference cell from `grids/s2/cells.txt`: its token, level and centre.
    struct ReferenceCell {
        var token: String
        var level: Int
        var latitude: String
        var longitude: String
    }

    static func referenceCells() throws -> [ReferenceCell] {
        let text = try String(contentsOfFile: Vectors.packageRoot + "/grids/s2/cells.txt", encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let f = line.split(separator: " ").map(String.init)
            // id token level n0..n3 v0lat v0lng .. v3lat v3lng centreLat centreLng ...
            return ReferenceCell(token: f[1], level: Int(f[2]) ?? -1, latitude: f[15], longitude: f[16])
        }
    }

    /// The reference coverer cases from `grids/s2/coverings.json`.
    static func coveringCases() throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Vectors.packageRoot + "/grids/s2/coverings.json"))
        return try #require(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    /// s2geometry's token: the id in hex without trailing zeros ("X" for 0).
    static func token(_ id: UInt64) -> String {
        if id == 0 { return "X" }
        let hex = String(id, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        return String(padded.reversed().drop { $0 == "0" }.reversed())
    }

    /// The id of a token (the inverse of ``token(_:)``).
    static func id(_ token: Substring) -> UInt64? {
        guard token.count <= 16, let value = UInt64(token, radix: 16) else { return nil }
        return value << UInt64(4 * (16 - token.count))
    }

    /// The level of a valid cell id: 30 minus half the trailing zero count.
    static func level(_ id: UInt64) -> Int { 30 - id.trailingZeroBitCount / 2 }

    /// True when cell `outer` contains cell `inner` (or is it): inner lies in outer's leaf range.
    static func contains(_ outer: UInt64, _ inner: UInt64) -> Bool {
        let lsb = outer & (0 &- outer)
        return inner >= outer - (lsb - 1) && inner <= outer + (lsb - 1)
    }

    static func geoJSON(_ geometry: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: geometry), as: UTF8.self)
    }

    // MARK: s2 index

    @Test(arguments: [0, 1, 7, 12, 23, 30])
    func indexPrintsTheReferenceTokenOfEachCellCentre(level: Int) throws {
        let cells = try Self.referenceCells().filter { $0.level == level }
        #expect(cells.count >= 90)
        let input = cells.map { "\($0.latitude),\($0.longitude)" }.joined(separator: "\n") + "\n"
        let out = try CommandRunner.run(["s2", "index", "--level", String(level)], input: input)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.isEmpty)
        #expect(out.stdout.split(separator: "\n").map(String.init) == cells.map(\.token))
    }

    @Test func indexReadsAFileAndTheHardPlaces() throws {
        // Poles, both sides of the antimeridian, a cube corner (the lowest leaf of face 3 is
        // (35.26…°, 45°) rounded), spaces around fields and a blank line, at three levels.
        // Tokens from s2geometry 0.14: S2CellId(S2LatLng.FromDegrees(lat, lng)).parent(L).ToToken().
        let lines = [
            ("90,0", ["5000000000000001", "504", "5000001"]),
            ("-90,0", ["b000000000000001", "b04", "b000001"]),
            (" 0 , 180 ", ["6fffffffffffffff", "6fc", "6ffffff"]),
            ("0,-180", ["7000000000000001", "704", "7000001"]),
            ("35.26438968275465,45", ["3fffffffffffffff", "3fc", "3ffffff"]),
            ("0,0", ["1000000000000001", "104", "1000001"]),
            ("52.515,13.385", ["47a851c50429a139", "47c", "47a851d"]),
        ]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("s2-index-\(UUID().uuidString).txt")
        try (lines.map(\.0).joined(separator: "\n") + "\n\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        for (k, level) in [30, 3, 12].enumerated() {
            let out = try CommandRunner.run(["s2", "index", "--level", String(level), file.path])
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout.split(separator: "\n").map(String.init) == lines.map { $0.1[k] }, "level \(level)")
        }
    }

    @Test(arguments: [
        (["s2", "index", "--level", "31"], "0,0\n", "--level: level 31 is outside 0...30"),
        (["s2", "index", "--level=-1"], "0,0\n", "--level: level -1 is outside 0...30"),
        (["s2", "index", "--level", "10"], "10,20\n1,2,3\n", "stdin:2: expected 'lat,lng', found 3 field(s)"),
        (["s2", "index", "--level", "10"], "10,20\n\nabc\n", "stdin:3: expected 'lat,lng', found 1 field(s)"),
        (["s2", "index", "--level", "10"], "10,20\nnorth,20\n", "stdin:2: latitude: 'north' is not a number"),
        (["s2", "index", "--level", "10"], "10,x\n", "stdin:1: longitude: 'x' is not a number"),
        (["s2", "index", "--level", "10"], "nan,20\n", "stdin:1: latitude nan is outside [-90, 90]"),
        (["s2", "index", "--level", "10"], "0,0\n91,0\n", "stdin:2: latitude 91.0 is outside [-90, 90]"),
        (["s2", "index", "--level", "10"], "0,180.5\n", "stdin:1: longitude 180.5 is outside [-180, 180]"),
        (["s2", "index", "--level", "10"], "0,inf\n", "stdin:1: longitude inf is outside [-180, 180]"),
        (["s2", "index", "--level", "10", "/nonexistent.txt"], "", "cannot read /nonexistent.txt"),
    ])
    func indexExplainsBadInputOnStderr(arguments: [String], input: String, expected: String) throws {
        let out = try CommandRunner.run(arguments, input: input)
        #expect(out.status != 0)
        #expect(out.stdout.isEmpty, "stdout: \(out.stdout)")
        #expect(out.stderr.contains(expected), "stderr: \(out.stderr)")
    }

    // MARK: s2 cover

    @Test func fixedLevelCoverMatchesTheExactReferenceCells() throws {
        var checked = 0
        for c in try Self.coveringCases() {
            let exact = Set((c["fixed_exact"] as? [String] ?? []).compactMap(UInt64.init))
            let reported = Set((c["fixed"] as? [String] ?? []).compactMap(UInt64.init))
            let level = try #require(c["fixed_level"] as? Int)
            let out = try CommandRunner.run(
                ["s2", "cover", "--level", String(level)],
                input: try Self.geoJSON(try #require(c["geometry"]))
            )
            #expect(out.status == 0, "\(out.stderr)")
            let ids = out.stdout.split(separator: "\n").compactMap(Self.id)
            #expect(ids.count == out.stdout.split(separator: "\n").count)
            #expect(ids == ids.sorted())
            // Every cell that truly touches the shape, and none the reference coverer rules out.
            #expect(Set(ids).isSuperset(of: exact))
            #expect(Set(ids).isSubset(of: reported))
            #expect(ids.allSatisfy { Self.level($0) == level })
            checked += 1
        }
        #expect(checked >= 20)
    }

    @Test func coveringHonoursTheOptionsAndCoversTheReferenceSamples() throws {
        for c in try Self.coveringCases() {
            let options = try #require(c["options"] as? [String: Int])
            let (minLevel, maxLevel) = (options["min_level"] ?? -1, options["max_level"] ?? -1)
            let (maxCells, levelMod) = (options["max_cells"] ?? -1, options["level_mod"] ?? -1)
            let out = try CommandRunner.run(
                [
                    "s2", "cover", "--min-level", String(minLevel), "--max-level", String(maxLevel),
                    "--max-cells", String(maxCells), "--level-mod", String(levelMod),
                ],
                input: try Self.geoJSON(try #require(c["geometry"]))
            )
            #expect(out.status == 0, "\(out.stderr)")
            let ids = out.stdout.split(separator: "\n").compactMap(Self.id)
            #expect(!ids.isEmpty && ids == ids.sorted())
            for id in ids {
                let level = Self.level(id)
                #expect(level >= minLevel && level <= maxLevel && (level - minLevel) % levelMod == 0)
            }
            // Soft, as S2RegionCoverer: more than max-cells only where the reference needs more
            // too (a shape across two faces at min-level 0 needs both faces).
            let referenceCount = (c["covering"] as? [String] ?? []).count
            #expect(ids.count <= max(maxCells, referenceCount), "\(ids.count) cells for max-cells \(maxCells)")
            // Points s2geometry places on or in the shape must fall in the covering: their leaf
            // cells (from `s2 index`) lie inside one of its cells.
            let samples = (c["samples"] as? [[Double]] ?? []).map { "\($0[0]),\($0[1])" }
            #expect(!samples.isEmpty)
            let leaves = try CommandRunner.run(
                ["s2", "index", "--level", "30"],
                input: samples.joined(separator: "\n")
            )
            let leafIDs = leaves.stdout.split(separator: "\n").compactMap(Self.id)
            #expect(leafIDs.count == samples.count, "\(leaves.stderr)")
            for leaf in leafIDs {
                #expect(ids.contains { Self.contains($0, leaf) }, "sample leaf \(Self.token(leaf)) not covered")
            }
        }
    }

    @Test func interiorCoveringOfALineIsEmptyAndOfAPolygonIsInsideTheCovering() throws {
        let line = #"{"type":"LineString","coordinates":[[13.38,52.51],[13.39,52.52]]}"#
        let lineOut = try CommandRunner.run(
            ["s2", "cover", "--min-level", "4", "--max-level", "16", "--interior"],
            input: line
        )
        #expect(lineOut.status == 0, "\(lineOut.stderr)")
        #expect(lineOut.stdout.isEmpty)

        let square =
            #"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[13.38,52.51],[13.39,52.51],[13.39,52.52],[13.38,52.52],[13.38,52.51]]]},"properties":null}"#
        let arguments = ["s2", "cover", "--min-level", "8", "--max-level", "18", "--max-cells", "30"]
        let interior = try CommandRunner.run(arguments + ["--interior"], input: square)
        let fixed = try CommandRunner.run(["s2", "cover", "--level", "18"], input: square)
        #expect(interior.status == 0 && fixed.status == 0, "\(interior.stderr) \(fixed.stderr)")
        let interiorIDs = interior.stdout.split(separator: "\n").compactMap(Self.id)
        let touching = fixed.stdout.split(separator: "\n").compactMap(Self.id)
        #expect(!interiorIDs.isEmpty && interiorIDs.count <= 30)
        // An interior cell is covered by level-18 cells that all touch the square.
        for id in interiorIDs {
            let level = Self.level(id)
            #expect(level >= 8 && level <= 18)
            let inside = touching.filter { Self.contains(id, $0) }
            #expect(inside.count == 1 << (2 * (18 - level)), "interior cell \(Self.token(id))")
        }
    }

    @Test(arguments: [
        (["s2", "cover", "--min-level", "0", "--max-level", "31"], "{}", "max-level 31 is outside 0...30"),
        (["s2", "cover", "--min-level", "9", "--max-level", "3"], "{}", "min-level 9 is greater than max-level 3"),
        (["s2", "cover", "--min-level", "1", "--max-level", "9", "--level-mod", "4"], "{}", "level-mod 4"),
        (["s2", "cover", "--min-level", "1", "--max-level", "9", "--max-cells", "0"], "{}", "max-cells 0"),
        (["s2", "cover", "--level", "40"], "{}", "--level: level 40 is outside 0...30"),
        (["s2", "cover", "--max-level", "9"], "{}", "--min-level and --max-level are required"),
        (["s2", "cover", "--level", "9", "--min-level", "3"], "{}", "--level cannot be combined"),
        (["s2", "cover", "--level", "9"], "not json", "stdin: "),
        (["s2", "cover", "--level", "9"], #"{"type":"Polygon","coordinates":[[[0,0],[1,0]]]}"#, "stdin: "),
        (["s2", "cover", "--level", "9"], #"{"type":"Point","coordinates":[0]}"#, "coordinates"),
        (["s2", "cover", "--level", "9"], #"{"type":"Point","coordinates":[10,95]}"#, "latitude"),
        (["s2", "cover", "--level", "9", "/nonexistent.geojson"], "", "cannot read /nonexistent.geojson"),
    ])
    func coverExplainsBadInputOnStderr(arguments: [String], input: String, expected: String) throws {
        let out = try CommandRunner.run(arguments, input: input)
        #expect(out.status != 0)
        #expect(out.stdout.isEmpty, "stdout: \(out.stdout)")
        #expect(out.stderr.contains(expected), "stderr: \(out.stderr)")
    }
}
