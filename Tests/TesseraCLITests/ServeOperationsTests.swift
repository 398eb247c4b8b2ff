import Foundation
import TesseraDatabaseTestSupport
import TesseraTestSupport
import Testing

/// What an operator on call sees of a real `tessera serve`: `/metrics` after edits, a quarantined
/// change and a dead letter, every exported metric documented in the README, and the status page in a
/// real headless Chromium showing the tiles an edit invalidated.
@Suite(.serialized) struct ServeOperationsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// One sample of the Prometheus text: `name{labels} value` lines.
    struct Scrape {
        let text: String

        /// The sum of the samples of `name` whose labels include every one of `labels`.
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            var sum: Double?
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " ") else { continue }
                let series = line[..<space]
                let metric = series.prefix { $0 != "{" }
                guard metric == name else { continue }
                let labelText = series.dropFirst(metric.count)
                guard labels.allSatisfy({ labelText.contains("\($0.key)=\"\($0.value)\"") }) else { continue }
                sum = (sum ?? 0) + (Double(line[line.index(after: space)...]) ?? .nan)
            }
            return sum
        }

        /// Every metric family in the scrape (its `# TYPE` lines).
        var families: Set<String> {
            Set(
                text.split(separator: "\n").compactMap { line -> String? in
                    guard line.hasPrefix("# TYPE ") else { return nil }
                    return line.split(separator: " ").dropFirst(2).first.map(String.init)
                }
            )
        }
    }

    static func scrape(_ port: Int) throws -> Scrape {
        Scrape(text: try shell("curl -sf http://127.0.0.1:\(port)/metrics"))
    }

    static func chromium() -> String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    @Test func metricsStatusPageAndDocumentationAgreeWithWhatHappened() async throws {
        let receiver = try await TestReceiver.start { request in
            request.uri == "/bad" ? .status(400, body: "no thanks") : .ok
        }
        defer { Task { try? await receiver.stop() } }
        try await TestDatabase.with { db in
            try await db.execute(
                """
                CREATE TABLE places (id bigserial PRIMARY KEY, geom geometry(Geometry, 4326));
                INSERT INTO tessera.layers (name, min_zoom, max_zoom) VALUES ('places', 12, 12);
                SELECT tessera.watch('places', layers => ARRAY['places']);
                INSERT INTO tessera.subscriptions (name, url, layers, format, debounce_ms, max_delay_ms, retry_schedule_ms)
                VALUES ('ok', 'http://127.0.0.1:\(receiver.port)/ok', ARRAY['places'], 'zxy', 0, 0, ARRAY[5000]),
                       ('bad', 'http://127.0.0.1:\(receiver.port)/bad', ARRAY['places'], 'json', 0, 0, ARRAY[50]);
                INSERT INTO tessera.subscription_secrets (subscription_id, secret)
                SELECT id, decode(repeat('ab', 32), 'hex') FROM tessera.subscriptions;
                """
            )
            let okID = try #require(
                try await db.column("SELECT id::text FROM tessera.subscriptions WHERE name = 'ok'").first ?? nil
            )
            let badID = try #require(
                try await db.column("SELECT id::text FROM tessera.subscriptions WHERE name = 'bad'").first ?? nil
            )
            let key = try CommandRunner.run([
                "keys", "create", "--tenant", "default", "--name", "status", "--database-url", db.url.description,
            ]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key.hasPrefix("tsk_"))

            let tmp = FileManager.default.temporaryDirectory
            let config = tmp.appendingPathComponent("tessera-ops-\(db.name).json")
            try #"""
            {"database_url": "\#(db.url.description)", "api": {"listen": "127.0.0.1:0"}, "allow_networks": ["127.0.0.0/8"],
             "metrics": {"sample_interval_ms": 200}, "log_level": "info"}
            """#.write(to: config, atomically: true, encoding: .utf8)
            let log = tmp.appendingPathComponent("serve-ops-\(db.name).log")
            let serve = ServeProcess(executable: CommandRunner.executable, configFile: config.path, logFile: log)
            try serve.start()
            defer { serve.stop() }
            let port = try await APICommandTests.apiPort(in: log)

            try await db.execute(
                """
                INSERT INTO places (geom) VALUES
                    (ST_SetSRID(ST_MakePoint(13.40, 52.52), 4326)), (ST_SetSRID(ST_MakePoint(2.35, 48.86), 4326));
                INSERT INTO places (geom) VALUES (ST_GeomFromText('POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))', 4326));
                """
            )
            // The good receiver gets the tiles; the bad one refuses twice and the delivery is dead.
            _ = try await receiver.waitFor(3, timeout: .seconds(30))
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            while try await db.int(
                "SELECT count(*) FILTER (WHERE status NOT IN ('dead', 'delivered')) + 1000 * (count(*) FILTER (WHERE status = 'dead') = 0)::int FROM tessera.deliveries"
            ) > 0,
                clock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(100))
            }
            let listed = Set(
                receiver.requests.filter { $0.uri == "/ok" }.flatMap {
                    String(decoding: $0.body, as: UTF8.self).split(separator: "\n").map(String.init)
                }
            )
            #expect(!listed.isEmpty)

            // A request of the API's own, counted once its answer is written (before the scrape below).
            _ = try shell("curl -sf http://127.0.0.1:\(port)/health")
            // Wait for a sample taken after all of that.
            var scrape = try Self.scrape(port)
            let sampled = clock.now + .seconds(20)
            while (scrape.value("tessera_dead_letters", ["subscription": badID]) ?? 0)
                < Double(try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'dead'")),
                clock.now < sampled
            {
                try await Task.sleep(for: .milliseconds(200))
                scrape = try Self.scrape(port)
            }
            #expect(scrape.value("tessera_changes_claimed_total", ["table": "places"]) == 3)
            #expect(scrape.value("tessera_changes_quarantined_total", ["reason": "topology"]) == 1)
            #expect(scrape.value("tessera_geometry_invalid_total") == 1)
            #expect(scrape.value("tessera_changes_pending", ["table": "places"]) == 0)
            #expect(scrape.value("tessera_outbox_rows", ["table": "places"]) == 0)
            #expect((scrape.value("tessera_windows_flushed_total") ?? 0) >= 2)
            #expect((scrape.value("tessera_payload_items_count", ["kind": "tiles"]) ?? 0) >= 2)
            let ok = ["subscription": okID, "output": "webhook"]
            #expect(
                (scrape.value("tessera_delivery_attempts_total", ok.merging(["outcome": "2xx"]) { a, _ in a }) ?? 0)
                    >= 1
            )
            #expect((scrape.value("tessera_delivery_latency_seconds_count", ok) ?? 0) >= 1)
            #expect((scrape.value("tessera_deliveries", ok.merging(["status": "delivered"]) { a, _ in a }) ?? 0) >= 1)
            // Each of its deliveries (one per window) was tried twice (retry_schedule_ms [50]) and died.
            let bad = ["subscription": badID, "output": "webhook"]
            let dead = Double(try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'dead'"))
            #expect(dead >= 1)
            #expect(
                scrape.value("tessera_delivery_attempts_total", bad.merging(["outcome": "4xx"]) { a, _ in a }) == 2
                    * dead
            )
            #expect(scrape.value("tessera_dead_letters_added_total", bad) == dead)
            #expect(scrape.value("tessera_dead_letters", bad) == dead)
            #expect(scrape.value("tessera_breaker_state", ["endpoint": "http://127.0.0.1:\(receiver.port)"]) != nil)
            #expect((scrape.value("tessera_db_connects_total", ["result": "ok"]) ?? 0) >= 4)
            #expect((scrape.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
            #expect((scrape.value("process_open_fds") ?? 0) > 3)
            #expect(scrape.value("process_cpu_seconds_total") != nil)
            #expect((scrape.value("hb_requests") ?? 0) >= 1, "Hummingbird's request counter")

            // Every family exported is documented in the README's metrics table.
            let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
            let section = readme.components(separatedBy: "\n## Metrics").dropFirst().first ?? ""
            for family in scrape.families.sorted() {
                #expect(section.contains("`\(family)`"), "\(family) is exported but not in README ## Metrics")
            }

            // The status page, in a real browser: loads without script errors, lists the table and the
            // subscriptions, and draws exactly the tiles the receiver was told about.
            let browser = try #require(Self.chromium(), "chromium is not installed (scripts/setup installs it)")
            let python = try #require(ProcessInfo.processInfo.environment["TESSERA_PYTHON"], "TESSERA_PYTHON is unset")
            let screenshot = CommandRunner.executable.deletingLastPathComponent().appendingPathComponent(
                "status-page.png"
            )
            let script = Self.root.appendingPathComponent("Tests/TesseraCLITests/Fixtures/status_page.py").path
            let output = try shell(
                ([python, script, browser, "http://127.0.0.1:\(port)/#key=\(key)", screenshot.path] + listed.sorted())
                    .map { "'\($0)'" }.joined(separator: " ")
            )
            let page = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
            #expect((page["exceptions"] as? [Any])?.isEmpty == true, "script errors: \(page["exceptions"] ?? "?")")
            #expect(page["timed_out"] as? Bool == false, "the map never showed \(listed.sorted()): \(output)")
            #expect(Set(page["tiles"] as? [String] ?? []) == listed)
            #expect(page["tables"] as? [String] == ["places"])
            let rows = page["subscriptions"] as? [[String]] ?? []
            #expect(rows.map { $0.first ?? "" } == ["bad", "ok"])
            #expect(rows.first { $0.first == "bad" }?[6] == String(Int(dead)), "the dead letters: \(rows)")
            #expect(FileManager.default.fileExists(atPath: screenshot.path))
        }
    }

    /// The page itself is public and self-contained (no external script, style or font).
    @Test func theStatusPageNeedsNothingFromOutside() throws {
        let html = try String(
            contentsOf: Self.root.appendingPathComponent("Sources/TesseraServer/Resources/status.html"),
            encoding: .utf8
        )
        #expect(!html.contains("http://") || html.contains("http://www.w3.org/2000/svg"))
        #expect(!html.contains("https://"))
        #expect(!html.contains("<script src"))
        #expect(!html.contains("<link"))
    }
}
