import Foundation
import TesseraDatabaseTestSupport
import TesseraTestSupport
import Testing

/// `tessera keys` on the database and `tessera subscriptions` against the API of a real `tessera serve`.
@Suite struct APICommandTests {
    /// Waits for serve's "admin API listening … port=N" log line and returns the port.
    static func apiPort(in log: URL, seconds: Double = 30) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("admin API listening") }),
                let range = line.range(of: "port=")
            {
                let digits = line[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return port }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("serve did not start its API: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        throw CancellationError()
    }

    @Test func keysAndSubscriptionsCommands() async throws {
        try await TestDatabase.with { db in
            let url = db.url.description
            let created = try CommandRunner.run([
                "keys", "create", "--tenant", "acme", "--name", "cli", "--database-url", url,
            ])
            #expect(created.status == 0, "\(created.stderr)")
            let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key.hasPrefix("tsk_"))
            let listed = try CommandRunner.run(["keys", "list", "--database-url", url])
            #expect(listed.stdout.contains(String(key.prefix(12))))
            #expect(!listed.stdout.contains(key), "the key itself is never shown again")

            let tmp = FileManager.default.temporaryDirectory
            let config = tmp.appendingPathComponent("tessera-api-\(db.name).json")
            try #"""
            {"database_url": "\#(url)", "layers": [{"name": "roads"}], "api": {"listen": "127.0.0.1:0"},
             "allow_networks": ["127.0.0.0/8"], "dispatcher": {"enabled": false}, "log_level": "info"}
            """#.write(to: config, atomically: true, encoding: .utf8)
            let log = tmp.appendingPathComponent("serve-api-\(db.name).log")
            let serve = ServeProcess(executable: CommandRunner.executable, configFile: config.path, logFile: log)
            try serve.start()
            defer { serve.stop() }
            let port = try await Self.apiPort(in: log)
            let api = ["--api-url", "http://127.0.0.1:\(port)", "--api-key", key]

            let create = try CommandRunner.run(
                [
                    "subscriptions", "create", "--name", "cache", "--url", "http://127.0.0.1:9/expire", "--layer",
                    "roads",
                    "--format", "zxy", "--bbox", "5,45,10,47",
                ] + api
            )
            #expect(create.status == 0, "\(create.stderr)")
            #expect(create.stdout.contains("\"secret\":\"whsec_"))
            #expect(
                try await db.column("SELECT tenant || ' ' || name || ' ' || format FROM tessera.subscriptions") == [
                    "acme cache zxy"
                ]
            )

            let list = try CommandRunner.run(["subscriptions", "list"] + api)
            #expect(list.status == 0)
            #expect(list.stdout.contains("cache\tactive\thttp://127.0.0.1:9/expire\troads"))

            let refused = try CommandRunner.run(
                ["subscriptions", "create", "--name", "meta", "--url", "http://169.254.169.254/", "--layer", "roads"]
                    + api
            )
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("422 url:"))

            let revoke = try CommandRunner.run(["keys", "revoke", String(key.prefix(12)), "--database-url", url])
            #expect(revoke.status == 0, "\(revoke.stderr)")
            let after = try CommandRunner.run(["subscriptions", "list"] + api)
            #expect(after.status == 1)
            #expect(after.stderr.contains("401"))
        }
    }
}
