import Foundation

/// `tessera serve` as a child process, for crash and restart tests.
public final class ServeProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched from the test task that owns this object.
    private var process: Process?
    public let executable: URL
    public let arguments: [String]
    public let logFile: URL

    public init(executable: URL, configFile: String, logFile: URL) {
        self.executable = executable
        self.arguments = ["serve", "--config", configFile]
        self.logFile = logFile
    }

    public func start() throws {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        process = p
    }

    /// SIGKILL: no graceful shutdown, whatever transaction is in flight is cut.
    public func kill() {
        guard let p = process, p.isRunning else { return }
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    /// SIGTERM and wait.
    public func stop() {
        guard let p = process, p.isRunning else { return }
        p.terminate()
        p.waitUntilExit()
        process = nil
    }

    public var isRunning: Bool { process?.isRunning ?? false }

    /// The running process's id (0 when not running).
    public var pid: Int32 { process?.processIdentifier ?? 0 }

    deinit { kill() }
}

/// Runs a shell command and returns its standard output; throws on a non-zero exit.
///
/// Uses `system(3)`, not `Process`: on Linux, Foundation's `Process` notices a child's exit
/// through a descriptor the child inherits, and a daemon the command starts (PostgreSQL)
/// keeps that descriptor open, so `waitUntilExit` would never return.
public func shell(_ command: String, environment extra: [String: String] = [:]) throws -> String {
    let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("shell-\(UUID().uuidString).out")
    defer { try? FileManager.default.removeItem(at: outputFile) }
    let exports = extra.map { "export \($0.key)='\($0.value)'; " }.joined()
    let status = system("\(exports)(\(command)) </dev/null >'\(outputFile.path)'")
    guard status == 0 else {
        throw ShellError(message: "\(command) exited with status \(status)")
    }
    let data = (try? Data(contentsOf: outputFile)) ?? Data()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

public struct ShellError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
