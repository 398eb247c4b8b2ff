import Foundation

/// A real Varnish (Debian's `varnishd`) in front of a loopback origin, started as a daemon with a
/// working directory and pid file of its own, on a port below the ephemeral range. (Not a `Process`
/// child: Foundation's `waitUntilExit` never returns for a program whose own children keep its
/// descriptors, as varnishd's cache process does.)
///
/// Its configuration purges on `PURGE`, bans `req.url ~ <X-Ban-Url>` on `BAN` (the configuration the
/// README gives operators), and caches every 200 for an hour.
public final class Varnish: @unchecked Sendable {
    // @unchecked: `pid` is only touched from the test task that owns this object.
    private var pid: pid_t?
    public let port: Int
    public let directory: URL

    public var origin: String { "http://127.0.0.1:\(port)" }

    /// The VCL: Tessera's purge and ban requests, and an hour's caching of what the origin serves.
    public static func vcl(originPort: Int) -> String {
        """
        vcl 4.1;
        backend origin { .host = "127.0.0.1"; .port = "\(originPort)"; }
        acl purgers { "127.0.0.1"; }
        sub vcl_recv {
            if (req.method == "PURGE") {
                if (client.ip !~ purgers) { return (synth(405, "Not allowed")); }
                return (purge);
            }
            if (req.method == "BAN") {
                if (client.ip !~ purgers) { return (synth(405, "Not allowed")); }
                if (!req.http.X-Ban-Url) { return (synth(400, "X-Ban-Url missing")); }
                ban("req.url ~ " + req.http.X-Ban-Url);
                return (synth(200, "Banned"));
            }
        }
        sub vcl_backend_response {
            set beresp.ttl = 1h;
        }
        """
    }

    private init(pid: pid_t, port: Int, directory: URL) {
        self.pid = pid
        self.port = port
        self.directory = directory
    }

    /// Starts Varnish before `originPort` and waits until it answers.
    /// - Throws: when `varnishd` is missing (run scripts/setup) or does not come up within 20 s.
    public static func start(originPort: Int) async throws -> Varnish {
        guard
            let varnishd = ["/usr/sbin/varnishd", "/usr/bin/varnishd"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            throw ShellError(message: "varnishd is not installed (scripts/setup installs Debian's varnish)")
        }
        var lastError: Error = ShellError(message: "varnishd did not start")
        for _ in 0..<5 {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "varnish-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let vclFile = directory.appendingPathComponent("tessera.vcl")
            try Self.vcl(originPort: originPort).write(to: vclFile, atomically: true, encoding: .utf8)
            let port = Int.random(in: ThrowawayCluster.portRange)
            let log = directory.appendingPathComponent("varnishd.log")
            let pidFile = directory.appendingPathComponent("varnishd.pid")
            // -j none: no privilege separation, so it runs as root or not.
            let command = [
                varnishd, "-j", "none", "-a", "127.0.0.1:\(port)", "-f", vclFile.path, "-n",
                directory.appendingPathComponent("work").path, "-P", pidFile.path, "-s", "malloc,64m",
                "-p", "ban_lurker_sleep=0.01",
            ].map { "'\($0)'" }.joined(separator: " ")
            do {
                _ = try shell("\(command) >'\(log.path)' 2>&1")
            } catch {
                lastError = ShellError(
                    message: "\(error): " + String((try? String(contentsOf: log, encoding: .utf8))?.suffix(1500) ?? "")
                )
                try? FileManager.default.removeItem(at: directory)
                continue
            }
            let text = (try? String(contentsOf: pidFile, encoding: .utf8)) ?? ""
            guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                lastError = ShellError(message: "varnishd wrote no pid file")
                continue
            }
            let varnish = Varnish(pid: pid, port: port, directory: directory)
            if await varnish.waitUntilListening(timeout: .seconds(20)) { return varnish }
            varnish.stop()
            lastError = ShellError(
                message: "varnishd did not listen on \(port): "
                    + String((try? String(contentsOf: log, encoding: .utf8))?.suffix(1500) ?? "")
            )
        }
        throw lastError
    }

    private func waitUntilListening(timeout: Duration) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            guard let pid, Self.isAlive(pid) else { return false }
            if Self.canConnect(port: port) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Whether `pid` runs: not gone and not a zombie (a daemon's parent is PID 1, which in a container
    /// may never reap it).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return kill(pid, 0) == 0 }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// Stops Varnish and removes its folder.
    public func stop() {
        if let pid {
            // SIGTERM may be blocked in a child of the test process (the mask is inherited): a second's
            // grace, then SIGKILL, on which the cache process ends too.
            kill(pid, SIGTERM)
            var end = ContinuousClock.now + .seconds(1)
            while Self.isAlive(pid) && ContinuousClock.now < end { usleep(20_000) }
            if Self.isAlive(pid) { kill(pid, SIGKILL) }
            end = ContinuousClock.now + .seconds(5)
            while Self.canConnect(port: port) && ContinuousClock.now < end { usleep(20_000) }
        }
        pid = nil
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
