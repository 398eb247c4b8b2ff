import Foundation
import PostgresNIO
import TesseraDatabaseTestSupport
import TesseraPostgres
import TesseraTestSupport
import Testing

/// `tessera serve` as a real process: killed mid-batch, and with PostgreSQL stopped under it.
/// Every committed edit must end up counted in exactly one delivery.
@Suite(.serialized) struct ServeResilienceTests {
    static let setup = """
        CREATE TABLE buildings (id bigserial PRIMARY KEY, kind text, geom geometry(Polygon, 4326));
        INSERT INTO tessera.layers (name, min_zoom, max_zoom) VALUES ('buildings', 12, 15);
        SELECT tessera.watch('buildings', layers => ARRAY['buildings']);
        INSERT INTO tessera.subscriptions (name, url, layers, format, debounce_ms, max_delay_ms)
        VALUES ('cache', 'http://127.0.0.1:9/expire', ARRAY['buildings'], 'json', 0, 0);
        """

    static func insertBatch(_ i: Int, rows: Int) -> String {
        """
        INSERT INTO buildings (kind, geom)
        SELECT 'house', ST_MakeEnvelope(13 + (\(i) * \(rows) + g) % 500 * 0.001, 52 + (\(i) * \(rows) + g) / 500 * 0.001,
                                        13 + (\(i) * \(rows) + g) % 500 * 0.001 + 0.0003, 52 + (\(i) * \(rows) + g) / 500 * 0.001 + 0.0003, 4326)
        FROM generate_series(1, \(rows)) g
        """
    }

    static func config(url: String, directory: URL) throws -> String {
        let path = directory.appendingPathComponent("tessera-\(UUID().uuidString).json").path
        let text =
            #"{"database_url": "\#(url)", "processor": {"batch_size": 300, "poll_interval_ms": 200, "flush_interval_ms": 50}, "api": {"listen": "127.0.0.1:0"}, "allow_networks": ["127.0.0.0/8"], "log_level": "warning"}"#
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Waits until the outbox and the windows are empty; fails after `seconds`.
    static func waitUntilDrained(_ db: TestDatabase, seconds: Double) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await db.int(
                "SELECT (SELECT count(*) FROM tessera.outbox) + (SELECT count(*) FROM tessera.pending)"
            ) == 0 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("not drained after \(seconds) s")
    }

    @Test func processorKilledMidBatchLosesNothingAndRepeatsNothing() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.setup)
            let tmp = FileManager.default.temporaryDirectory
            let serve = ServeProcess(
                executable: CommandRunner.executable,
                configFile: try Self.config(url: "\(db.url.description)", directory: tmp),
                logFile: tmp.appendingPathComponent("serve-kill-\(db.name).log")
            )
            try serve.start()
            var kills = 0
            for i in 0..<30 {
                try await db.execute(Self.insertBatch(i, rows: 200))
                if i % 5 == 2 {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 20...150)))
                    serve.kill()
                    kills += 1
                    try serve.start()
                }
            }
            try await Self.waitUntilDrained(db, seconds: 90)
            serve.stop()
            #expect(kills == 6)
            #expect(try await db.int("SELECT count(*) FROM buildings") == 6000)
            #expect(try await db.int("SELECT sum(change_count) FROM tessera.deliveries") == 6000)
        }
    }

    @Test func postgresStoppedMidStreamLosesNothing() async throws {
        let pg = try ThrowawayCluster.start(packageRoot: Vectors.packageRoot)
        defer { pg.remove() }
        let url = pg.url
        let db = TestDatabase(name: "tessera", url: try DatabaseURL(url), logger: .init(label: "pg-restart"))
        let setupConnection = try await db.connect()
        try await Migrator.migrate(setupConnection, logger: db.logger)
        try await setupConnection.close()
        try await db.execute(Self.setup)
        let serve = ServeProcess(
            executable: CommandRunner.executable,
            configFile: try Self.config(url: url, directory: FileManager.default.temporaryDirectory),
            logFile: FileManager.default.temporaryDirectory.appendingPathComponent("serve-pg-\(pg.port).log")
        )
        try serve.start()
        var restarted = false
        var i = 0
        while i < 24 {
            do {
                // Bounded: postgres-nio never answers a statement sent on a connection the server has just
                // closed (see TesseraPostgres' ConnectionClosed), and the test's own client is postgres-nio.
                // A batch whose answer was lost may have committed: it is inserted at most once.
                let statement =
                    Self.insertBatch(i, rows: 100).replacingOccurrences(of: "'house'", with: "'batch \(i)'")
                    + " WHERE NOT EXISTS (SELECT 1 FROM buildings WHERE kind = 'batch \(i)')"
                try await withDeadline(.seconds(10)) { try await db.execute(statement) }
                i += 1
            } catch {
                try await Task.sleep(for: .milliseconds(200))  // the database is down: try the batch again
                continue
            }
            if i == 10 && !restarted {
                try pg.stop()
                try await Task.sleep(for: .seconds(1))
                try pg.restart()
                restarted = true
            }
        }
        try await Self.waitUntilDrained(db, seconds: 90)
        serve.stop()
        #expect(restarted)
        let committed = try await db.int("SELECT count(*) FROM buildings")
        #expect(committed == 2400)
        #expect(try await db.int("SELECT sum(change_count) FROM tessera.deliveries") == committed)
    }
}
