import Foundation
import TesseraTestSupport
import Testing

@testable import TesseraGrids

/// Reference vectors from `grids/h3/generate_vectors.py` (PyPI h3 4.5.0).
///
/// `sample` is the small set committed in `grids/h3/sample/`; `full` is the large set
/// (over a million points) that `grids/generate` writes into `grids/generated/h3/` (before the
/// tests in `scripts/test`, else on first use). A missing Python fails the test.
enum H3Vectors {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let sampleDirectory = packageRoot.appendingPathComponent("grids/h3/sample")

    struct VectorFormatError: Error, CustomStringConvertible {
        let description: String
    }

    /// The directory of the full set, generating it when missing (`grids/generate h3`).
    static func full() throws -> URL {
        try GeneratedVectors.path("h3", of: "h3")
    }

    /// The space-separated fields of each line of `name` in `directory`.
    static func lines(_ name: String, in directory: URL) throws -> [[Substring]] {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: false) }
    }

    static func cell(_ s: Substring) throws -> H3Cell { try H3Cell(s) }

    static func cells(_ s: Substring) throws -> Set<H3Cell> {
        Set(try s.split(separator: ",").map { try H3Cell($0) })
    }

    static func double(_ s: Substring) throws -> Double {
        guard let d = Double(s) else { throw VectorFormatError(description: "not a number: \(s)") }
        return d
    }

    /// Both sets, for tests that run on each.
    static let sets: [String] = ["sample", "full"]

    static func directory(_ set: String) throws -> URL {
        set == "sample" ? sampleDirectory : try full()
    }
}
