import Foundation

/// Carries the stderr bytes from the reader thread; written once before `isFinished`, read after.
private final class ErrorBox: @unchecked Sendable {
    var data = Data()
}

/// Runs the built `tessera` executable (found beside the test bundle) as a user would.
public enum CommandRunner {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The `tessera` binary in the same build folder as the running tests.
    public static var executable: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // swift-testing on Linux runs `<build>/debug/TesseraPackageTests.xctest`; on macOS a bundle inside it.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("tessera").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("tessera")
    }

    /// Runs `tessera arguments...` with `input` on standard input, and `environment` added to this
    /// process's environment.
    public static func run(_ arguments: [String], input: String = "", environment: [String: String] = [:]) throws
        -> Output
    {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        // Drain stderr on another thread so neither pipe can fill up and stall the child.
        let errorBox = ErrorBox()
        let reader = Thread { errorBox.data = stderr.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outData = stdout.fileHandleForReading.readDataToEndOfFile()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.001) }
        let errorData = errorBox.data
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errorData, as: UTF8.self)
        )
    }
}
