import Foundation
import Synchronization

/// The large reference sets that `grids/generate` writes into `grids/generated/` (git-ignored).
///
/// `scripts/test` generates them before the tests start, so a test never waits on Python; run alone
/// (`swift test --filter …` on a fresh clone), the first test that needs a set runs the script.
public enum GeneratedVectors {
    /// The outcome of `grids/generate <set>` per set, once per test process.
    private static let outcomes = Mutex<[String: Result<URL, any Error>]>([:])

    /// `grids/generated/<file>` of `set` ("h3" or "s2"), made by `grids/generate <set>` when missing.
    public static func path(_ file: String, of set: String) throws -> URL {
        let generated = URL(fileURLWithPath: Vectors.packageRoot).appendingPathComponent("grids/generated")
        // The lock is held while the script runs: tests of one set wait for one run, not start their own.
        let outcome = outcomes.withLock { outcomes in
            if let known = outcomes[set] { return known }
            let outcome = Result<URL, any Error> {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: Vectors.packageRoot + "/grids/generate")
                process.arguments = [set]
                do { try process.run() } catch {
                    throw VectorError(message: "cannot run grids/generate: \(error)")
                }
                process.waitUntilExit()
                guard process.terminationStatus == 0 else {
                    throw VectorError(
                        message: "grids/generate \(set) exited with \(process.terminationStatus) (is there a "
                            + ".venv? run scripts/setup, or set TESSERA_PYTHON)"
                    )
                }
                return generated
            }
            outcomes[set] = outcome
            return outcome
        }
        return try outcome.get().appendingPathComponent(file)
    }
}
