import Foundation

/// A PostgreSQL cluster of a test's own (`scripts/pg` in a temporary folder), for tests that stop and
/// start the database under a running `tessera serve`.
///
/// Its port is taken below the kernel's ephemeral range (`ip_local_port_range`): a port in that range
/// can be held at any moment by one of the suite's own outgoing connections, and the server then
/// cannot bind it, neither at the first start nor at a restart. A start that fails anyway (a port some
/// other program listens on) is tried again on another port and folder; the last failure carries the
/// tail of PostgreSQL's log.
public final class ThrowawayCluster: @unchecked Sendable {
    // @unchecked: immutable after `start`, which returns a new object.
    public let directory: URL
    public let port: Int
    public let url: String
    private let script: String

    private init(directory: URL, port: Int, url: String, script: String) {
        self.directory = directory
        self.port = port
        self.url = url
        self.script = script
    }

    public static func start(packageRoot: String, attempts: Int = 5) throws -> ThrowawayCluster {
        let script = packageRoot + "/scripts/pg"
        var lastError: Error = ShellError(message: "scripts/pg start was not tried")
        for _ in 0..<attempts {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tessera-pg-\(UUID().uuidString)"
            )
            let port = Int.random(in: portRange)
            let env = environment(directory: directory, port: port)
            do {
                let url = try shell("\(script) start", environment: env)
                return ThrowawayCluster(directory: directory, port: port, url: url, script: script)
            } catch {
                lastError = ShellError(message: "\(error); PostgreSQL's log: \(logTail(directory))")
                _ = try? shell("\(script) stop", environment: env)
                try? FileManager.default.removeItem(at: directory)
            }
        }
        throw lastError
    }

    /// Stops the server (fast shutdown: connections are cut).
    public func stop() throws {
        _ = try shell("\(script) stop", environment: Self.environment(directory: directory, port: port))
    }

    /// Starts it again on the same folder and port.
    public func restart() throws {
        do {
            _ = try shell("\(script) start", environment: Self.environment(directory: directory, port: port))
        } catch {
            throw ShellError(message: "\(error); PostgreSQL's log: \(Self.logTail(directory))")
        }
    }

    /// Stops the server and removes its folder.
    public func remove() {
        try? stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func environment(directory: URL, port: Int) -> [String: String] {
        ["TESSERA_PG_DIR": directory.path, "TESSERA_PG_PORT": "\(port)"]
    }

    /// Ports from 20000 to just below the first ephemeral port (32768 unless the kernel says otherwise).
    public static var portRange: ClosedRange<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let low = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
        return low > 21000 ? 20000...(low - 1) : 10000...19999
    }

    private static func logTail(_ directory: URL) -> String {
        let log = directory.appendingPathComponent("log/postgresql.log")
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? "(no log)"
        return String(text.suffix(1500))
    }
}
