import ArgumentParser
import TesseraApp

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading a command's input: a file path, or standard input for `-` or no argument.
enum CommandInput {
    /// All bytes of `path` (nil or "-" means standard input).
    /// - Throws: `ValidationError` naming the file and the system's reason.
    static func readAll(_ path: String?) throws -> [UInt8] {
        do {
            if let path, path != "-" { return try readFile(path) }
            return try TesseraApp.readAll(descriptor: STDIN_FILENO, name: "standard input")
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The non-empty lines of the input, without their line endings.
    static func lines(_ path: String?) throws -> [Substring] {
        let text = String(decoding: try readAll(path), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
    }
}

/// Buffered standard output: one `write` per 64 KiB instead of one per line.
struct StandardOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func write(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes `message` to standard error, prefixed with the tool's name.
func printError(_ message: String) {
    let line = Array("tessera: \(message)\n".utf8)
    _ = line.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
