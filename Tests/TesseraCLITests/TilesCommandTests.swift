import TesseraTestSupport
import Testing

@Suite struct TilesCommandTests {
    let square =
        #"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[13.38,52.51],[13.39,52.51],[13.39,52.52],[13.38,52.52],[13.38,52.51]]]},"properties":null}"#

    @Test func printsOneTilePerLineForAZoomRange() throws {
        let out = try CommandRunner.run(["tiles", "cover", "--zoom", "13-14", "--buffer", "64/4096"], input: square)
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n")
        #expect(lines.contains("13/4400/2686"))
        #expect(lines.contains("14/8800/5373"))
        #expect(lines.allSatisfy { $0.split(separator: "/").count == 3 })
        #expect(Set(lines).count == lines.count)
        let single = try CommandRunner.run(["tiles", "cover", "--zoom", "14", "-"], input: square)
        #expect(single.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("14/") })
    }

    /// Progress goes to a terminal only: piped output stays exactly the tiles, and stderr stays empty.
    @Test func progressIsShownOnATerminalOnly() throws {
        let piped = try CommandRunner.run(["tiles", "cover", "--zoom", "10-14"], input: square)
        #expect(piped.status == 0)
        #expect(piped.stderr.isEmpty, "\(piped.stderr)")
        let shown = try CommandRunner.run(
            ["tiles", "cover", "--zoom", "10-14"],
            input: square,
            environment: ["TESSERA_PROGRESS": "always"]
        )
        #expect(shown.stdout == piped.stdout, "the results are the same")
        #expect(shown.stderr.contains("covering zoom 14 (5 of 5)"))
        #expect(shown.stderr.hasSuffix("\r\u{1B}[K"), "the line is cleared at the end")
    }

    @Test func readsAFileAndAnotherTileMatrixSet() throws {
        let out = try CommandRunner.run(
            [
                "tiles", "cover", "--zoom", "0", "--tms", "WorldCRS84Quad",
                Vectors.packageRoot + "/Tests/TesseraCLITests/Fixtures/two-hemispheres.geojson",
            ]
        )
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == "0/0/0\n0/1/0\n")
    }

    @Test func rollsUpAboveMaxTilesAndSaysSo() throws {
        let out = try CommandRunner.run(["tiles", "cover", "--zoom", "16", "--max-tiles", "4"], input: square)
        #expect(out.status == 0)
        let lines = out.stdout.split(separator: "\n")
        #expect(lines.count <= 4 && !lines.isEmpty)
        #expect(lines.allSatisfy { !$0.hasPrefix("16/") })
        #expect(out.stderr.contains("--max-tiles 4"))
    }

    @Test(arguments: [
        (["tiles", "cover", "--zoom", "x"], "{}", "zoom 'x'"),
        (["tiles", "cover", "--zoom", "3", "--buffer", "64"], "{}", "buffer '64'"),
        (["tiles", "cover", "--zoom", "3", "--tms", "Mars"], "{}", "unknown tile matrix set"),
        (["tiles", "cover", "--zoom", "30"], #"{"type":"Point","coordinates":[0,0]}"#, "zoom 30"),
        (["tiles", "cover", "--zoom", "3"], #"{"type":"Point","coordinates":[0]}"#, "coordinates"),
        (["tiles", "cover", "--zoom", "3"], "not json", "invalid GeoJSON"),
        (["tiles", "cover", "--zoom", "3", "/nonexistent.geojson"], "", "cannot read /nonexistent.geojson"),
    ])
    func explainsBadInputOnStderr(arguments: [String], input: String, expected: String) throws {
        let out = try CommandRunner.run(arguments, input: input)
        #expect(out.status != 0)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains(expected), "stderr: \(out.stderr)")
    }
}
