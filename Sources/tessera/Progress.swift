import Foundation

/// A one-line progress report on standard error, redrawn in place, for long CLI work. Shown only
/// when standard error is a terminal (and, for a command whose results go to standard output, that is
/// not the same terminal), so piped or logged output stays clean; `TESSERA_PROGRESS=always` or `never`
/// overrides that.
struct Progress {
    let enabled: Bool
    private var lastDrawn: ContinuousClock.Instant?
    private var drawn = false

    init(resultsOnStandardOutput: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) {
        switch environment["TESSERA_PROGRESS"] {
        case "always": enabled = true
        case "never": enabled = false
        default: enabled = isatty(STDERR_FILENO) == 1 && !(resultsOnStandardOutput && isatty(STDOUT_FILENO) == 1)
        }
    }

    /// Redraws the line with `text`, at most ten times a second unless `force`.
    mutating func update(_ text: @autoclosure () -> String, force: Bool = false) {
        guard enabled else { return }
        let now = ContinuousClock.now
        if !force, let last = lastDrawn, now - last < .milliseconds(100) { return }
        lastDrawn = now
        drawn = true
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text()).utf8))
    }

    /// Clears the line, leaving the terminal as it was.
    mutating func finish() {
        guard enabled, drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drawn = false
    }
}
