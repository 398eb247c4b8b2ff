import Foundation
import Testing

@testable import TesseraGrids

/// Reference vectors from `grids/h3/generate_vectors.py` (PyPI h3 4.5.0).
///
/// `sample` is the small set committed in `grids/h3/sample/`; `full` is the large set
/// (over a million points) generated into `grids/generated/h3/` on first use with the
/// interpreter in `TESSERA_PYTHON` (default `.venv/bin/python`). A missing Python fails the test.
enum H3Vectors {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let sampleDirectory = packageRoot.appendingPathComponent("grids/h3/sample")
    static let fullDirectory = packageRoot.appendingPathComponent("grids/generated/h3")

    struct GenerationError: Error, CustomStringConvertible {
        let description: String
    }

    /// The directory of the full set, generating it when missing.
    static func full() throws -> URL {
        try generated.get()
    }

    private static let generated: Result<URL, Error> = Result {
        // The last file the generator writes: an older set without it is generated again.
        let marker = fullDirectory.appendingPathComponent("localij.txt")
        if FileManager.default.fileExists(atPath: marker.path) { return fullDirectory }
        let env = ProcessInfo.processInfo.environment
        let python = env["TESSERA_PYTHON"] ?? packageRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw GenerationError(description: "no Python at \(python); run scripts/setup or set TESSERA_PYTHON")
        }
        let staging = fullDirectory.path + ".partial"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            packageRoot.appendingPathComponent("grids/h3/generate_vectors.py").path, staging,
        ]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GenerationError(description: "generate_vectors.py exited with \(process.terminationStatus)")
        }
        try? FileManager.default.removeItem(at: fullDirectory)
        try FileManager.default.moveItem(atPath: staging, toPath: fullDirectory.path)
        return fullDirectory
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
        guard let d = Double(s) else { throw GenerationError(description: "not a number: \(s)") }
        return d
    }

    /// Both sets, for tests that run on each.
    static let sets: [String] = ["sample", "full"]

    static func directory(_ set: String) throws -> URL {
        set == "sample" ? sampleDirectory : try full()
    }
}
