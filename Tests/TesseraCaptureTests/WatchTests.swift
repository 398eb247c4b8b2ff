import Foundation
import PostgresNIO
import TesseraCapture
import TesseraDatabaseTestSupport
import TesseraPostgres
import Testing

/// The SQL a DBA runs: tessera.watch() triggers writing the outbox, on a real PostGIS.
@Suite struct WatchTests {
    static let roads = """
        CREATE TABLE roads (id bigserial PRIMARY KEY, name text, highway text, note text,
                            geom geometry(LineString, 4326));
        SELECT tessera.watch('roads', render_columns => ARRAY['highway', 'name'], layers => ARRAY['roads']);
        """

    @Test func migrationsAreIdempotentAndRecorded() async throws {
        try await TestDatabase.with { db in
            let c = try await db.connect()
            let again = try await Migrator.migrate(c, logger: db.logger)
            try await c.close()
            #expect(again.isEmpty)
            #expect(
                try await db.int("SELECT max(version) FROM tessera.migrations") == Migrator.migrations.last!.version
            )
            // Applying the SQL files by hand over a migrated schema is harmless too.
            for m in Migrator.migrations { try await db.execute(m.sql) }
        }
    }

    @Test func upgradingFromTheRowPerFeatureOutboxKeepsPendingChanges() async throws {
        try await TestDatabase.with(migrate: false) { db in
            // Schema version 3 as it was released, with changes pending in its outbox table.
            let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures/schema-v3")
            for file in ["001_schema.sql", "002_watch.sql", "003_delivery.sql"] {
                try await db.execute(String(contentsOf: fixtures.appendingPathComponent(file), encoding: .utf8))
            }
            try await db.execute(
                Self.roads
                    + """

                    INSERT INTO roads (name, geom) VALUES ('a', 'SRID=4326;LINESTRING(0 0, 1 1)'),
                                                          ('b', 'SRID=4326;LINESTRING(2 2, 3 3)');
                    UPDATE roads SET geom = 'SRID=4326;LINESTRING(5 5, 6 6)' WHERE name = 'a';
                    DELETE FROM roads WHERE name = 'b';
                    """
            )
            #expect(try await db.int("SELECT count(*) FROM tessera.changes") == 4)
            let applied = try await db.withConnection { try await Migrator.migrate($0, logger: db.logger) }
            #expect(applied == Array(4...Migrator.migrations.last!.version))
            // The pending changes survived, and new edits go to the new outbox.
            try await db.execute("INSERT INTO roads (name, geom) VALUES ('c', 'SRID=4326;LINESTRING(7 7, 8 8)')")
            let changes = try await Self.captured("SELECT 1", in: db)
            #expect(changes == ["I:1:new", "I:2:", "U:1:oldnew", "D:2:old", "I:3:new"])
            #expect(try await db.int("SELECT count(*) FROM tessera.outbox") == 0)
        }
    }

    /// Runs `sql`, then claims and deletes what it captured: each change that is not a no-op
    /// as `op:feature:old?new?` (which geometries it carries).
    static func captured(_ sql: String, in db: TestDatabase) async throws -> [String] {
        try await db.execute(sql)
        let changes = try await db.withConnection { c in
            try await c.withTransaction(logger: db.logger) { conn in
                let changes = try await ChangeQueue.claim(limit: 100_000, on: conn, logger: db.logger)
                try await ChangeQueue.delete(changes, on: conn, logger: db.logger)
                return changes
            }
        }
        return changes.filter { !$0.isNoOp }.map {
            "\($0.operation.rawValue):\($0.featureID ?? "-"):\($0.oldEWKB == nil ? "" : "old")\($0.newEWKB == nil ? "" : "new")"
        }
    }

    @Test func capturesInsertsUpdatesAndDeletesThatRender() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.roads)
            let inserted = try await Self.captured(
                """
                INSERT INTO roads (name, highway, geom) VALUES
                  ('a', 'primary', 'SRID=4326;LINESTRING(13.3 52.5, 13.4 52.51)'),
                  ('b', 'service', NULL);
                """,
                in: db
            )
            #expect(inserted == ["I:1:new"])
            #expect(try await Self.captured("UPDATE roads SET note = 'not a rendering column'", in: db) == [])
            #expect(try await Self.captured("UPDATE roads SET name = name", in: db) == [])
            #expect(try await Self.captured("UPDATE roads SET name = 'A' WHERE name = 'a'", in: db) == ["U:1:oldnew"])
            // NULL → geometry is a creation: only the new geometry.
            let created = try await Self.captured(
                "UPDATE roads SET geom = 'SRID=4326;LINESTRING(1 1, 2 2)' WHERE name = 'b'",
                in: db
            )
            #expect(created == ["U:2:new"])
            // Geometry → NULL is a deletion: only the old geometry.
            #expect(try await Self.captured("UPDATE roads SET geom = NULL WHERE id = 2", in: db) == ["U:2:old"])
            #expect(try await Self.captured("DELETE FROM roads WHERE name = 'A'", in: db) == ["D:1:old"])
            // A moved geometry, and the id itself changed: the old shape and the row under its new id.
            try await db.execute("INSERT INTO roads (id, geom) VALUES (7, 'SRID=4326;LINESTRING(5 5, 6 6)')")
            _ = try await Self.captured("SELECT 1", in: db)
            let moved = try await Self.captured(
                "UPDATE roads SET id = 8, geom = 'SRID=4326;LINESTRING(7 7, 8 8)' WHERE id = 7",
                in: db
            )
            #expect(moved == ["I:8:new", "U:7:old"])
            #expect(try await db.int("SELECT count(*) FROM tessera.outbox") == 0)
        }
    }

    @Test func theChangesViewShowsOneRowPerFeatureInOneTransaction() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.roads)
            try await db.execute(
                """
                BEGIN;
                INSERT INTO roads (name, geom) SELECT 'r' || i, 'SRID=4326;LINESTRING(0 0, 1 1)' FROM generate_series(1, 3) i;
                UPDATE roads SET note = 'no rendering change';
                UPDATE roads SET highway = 'primary' WHERE id = 1;
                COMMIT;
                """
            )
            // The view compares with the rows as they are now: the first UPDATE renders for
            // feature 1 only because the second changed it since, as the processor would see it.
            #expect(
                try await db.column("SELECT op::text || ':' || feature_id FROM tessera.changes ORDER BY id") == [
                    "I:1", "I:2", "I:3", "U:1", "U:1",
                ]
            )
            #expect(try await db.int("SELECT count(DISTINCT txid) FROM tessera.changes") == 1)
            #expect(try await db.int("SELECT count(*) FROM tessera.outbox") == 3)
        }
    }

    @Test func hugeStatementsAreSplitIntoChunksAndLoseNothing() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.roads)
            try await db.execute(
                """
                INSERT INTO roads (name, geom)
                SELECT 'r' || i, ST_MakeLine(ST_Point(i * 0.001, 0), ST_Point(i * 0.001, 1)) FROM generate_series(1, 300) i;
                """
            )
            _ = try await Self.captured("SELECT 1", in: db)
            // Each line takes 45 bytes: 2000 bytes a chunk makes 44 rows a chunk.
            try await db.execute(
                """
                BEGIN;
                SET LOCAL tessera.outbox_chunk_bytes = 2000;
                SET LOCAL tessera.outbox_chunk_rows = 60;
                UPDATE roads SET geom = ST_Translate(geom, 1, 0);
                DELETE FROM roads WHERE id > 150;
                INSERT INTO roads (name, geom)
                SELECT 'n' || i, ST_MakeLine(ST_Point(i * 0.001, 0), ST_Point(i * 0.001, 2)) FROM generate_series(1, 130) i;
                COMMIT;
                """
            )
            #expect(try await db.int("SELECT count(*) FROM tessera.outbox WHERE op = 'U'") == 7)
            #expect(try await db.int("SELECT count(*) FROM tessera.outbox WHERE op = 'D'") == 4)
            #expect(
                try await db.column("SELECT feature_count::text FROM tessera.outbox WHERE op = 'I' ORDER BY id") == [
                    "60", "60", "10",
                ]
            )
            #expect(try await db.int("SELECT max(feature_count) FROM tessera.outbox WHERE op <> 'I'") == 44)
            let changes = try await Self.captured("SELECT 1", in: db)
            #expect(changes.filter { $0.hasSuffix(":oldnew") }.count == 150)  // updated, still there
            // Updated, then deleted.
            #expect(changes.filter { $0.hasPrefix("U:") && $0.hasSuffix(":old") }.count == 150)
            #expect(changes.filter { $0.hasPrefix("D:") }.count == 150)
            #expect(changes.filter { $0.hasPrefix("I:") }.count == 130)
            #expect(Set(changes.map { $0.split(separator: ":")[1] }).count == 430)
        }
    }

    @Test func everyColumnRendersWhenNoneAreNamed() async throws {
        try await TestDatabase.with { db in
            try await db.execute(
                """
                CREATE TABLE pois (poi_id int PRIMARY KEY, label text, geom geometry(Point, 4326));
                SELECT tessera.watch('pois');
                INSERT INTO pois VALUES (1, 'x', 'SRID=4326;POINT(1 2)');
                UPDATE pois SET label = 'y';
                UPDATE pois SET label = 'y';
                """
            )
            #expect(try await db.column("SELECT op::text FROM tessera.changes ORDER BY id") == ["I", "U"])
            #expect(try await db.column("SELECT layers[1] FROM tessera.changes LIMIT 1") == ["pois"])
            #expect(try await db.int("SELECT count(*) FROM tessera.layers WHERE name = 'pois'") == 1)
        }
    }

    @Test func rollbacksLeaveNothingAndTransactionsShareOneTxid() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.roads)
            try await db.execute(
                """
                BEGIN;
                INSERT INTO roads (name, geom) VALUES ('gone', 'SRID=4326;LINESTRING(0 0, 1 1)');
                ROLLBACK;
                BEGIN;
                INSERT INTO roads (name, geom) VALUES ('x', 'SRID=4326;LINESTRING(0 0, 1 1)');
                UPDATE roads SET geom = 'SRID=4326;LINESTRING(0 0, 2 2)';
                DELETE FROM roads;
                COMMIT;
                """
            )
            #expect(try await db.column("SELECT op::text FROM tessera.changes ORDER BY id") == ["I", "U", "D"])
            #expect(try await db.int("SELECT count(DISTINCT txid) FROM tessera.changes") == 1)
        }
    }

    @Test func storesTheSourceSRIDAndTransformsOnClaim() async throws {
        try await TestDatabase.with { db in
            try await db.execute(
                """
                CREATE TABLE parcels (id int PRIMARY KEY, geom geometry(Polygon, 3857));
                SELECT tessera.watch('parcels');
                INSERT INTO parcels VALUES (1, ST_Transform('SRID=4326;POLYGON((13 52, 13.1 52, 13.1 52.1, 13 52))'::geometry, 3857));
                """
            )
            #expect(try await db.int("SELECT ST_SRID(new_geom) FROM tessera.changes") == 3857)
            let claimed = try await db.withConnection { c in
                try await c.withTransaction(logger: db.logger) { conn in
                    try await ChangeQueue.claim(limit: 10, on: conn, logger: db.logger)
                }
            }
            #expect(claimed.count == 1)
            let ewkb = try #require(claimed.first?.newEWKB)
            // EWKB little-endian polygon with the SRID flag, SRID 4326 after the type.
            #expect(Array(ewkb[5..<9]) == [0xE6, 0x10, 0x00, 0x00])
        }
    }

    @Test func truncateIsOneChangeForTheWholeLayer() async throws {
        try await TestDatabase.with { db in
            try await db.execute(
                Self.roads
                    + "\nINSERT INTO roads (geom) SELECT 'SRID=4326;LINESTRING(0 0, 1 1)' FROM generate_series(1, 5);\nTRUNCATE roads;"
            )
            #expect(try await db.column("SELECT op::text FROM tessera.changes WHERE op = 'T'") == ["T"])
        }
    }

    @Test func oneNotificationPerTransactionWithoutGeometry() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.roads)
            let listener = try await db.connect()
            let received = try await listener.listen(on: ChangeQueue.channel) { notifications in
                try await db.execute(
                    """
                    BEGIN;
                    INSERT INTO roads (geom) SELECT 'SRID=4326;LINESTRING(0 0, 1 1)' FROM generate_series(1, 1000);
                    UPDATE roads SET geom = 'SRID=4326;LINESTRING(0 0, 3 3)';
                    DELETE FROM roads WHERE id % 2 = 0;
                    COMMIT;
                    """
                )
                try await db.execute("UPDATE roads SET note = 'no rendering change'")  // a wake-up, no change
                try await db.execute("INSERT INTO roads (geom) VALUES ('SRID=4326;LINESTRING(0 0, 1 1)')")
                var payloads: [String] = []
                for try await n in notifications {
                    payloads.append(n.payload)
                    if payloads.count == 3 { break }
                }
                return payloads
            }
            try await listener.close()
            #expect(received == ["", "", ""])
            #expect(try await db.int("SELECT count(*) FROM tessera.changes") == 2501)
        }
    }

    @Test func unwatchRemovesTriggersAndFunction() async throws {
        try await TestDatabase.with { db in
            try await db.execute(
                Self.roads
                    + "\nSELECT tessera.unwatch('roads');\nINSERT INTO roads (geom) VALUES ('SRID=4326;LINESTRING(0 0, 1 1)');"
            )
            #expect(try await db.int("SELECT count(*) FROM tessera.changes") == 0)
            #expect(try await db.int("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tessera%'") == 0)
            #expect(try await db.int("SELECT count(*) FROM pg_proc WHERE proname LIKE 'capture_%'") == 0)
            #expect(try await db.int("SELECT count(*) FROM tessera.watched") == 0)
        }
    }

    @Test func watchExplainsBadArguments() async throws {
        try await TestDatabase.with { db in
            try await db.execute(
                "CREATE TABLE nokey (a int, geom geometry); CREATE TABLE twogeoms (id int PRIMARY KEY, a geometry, b geometry);"
            )
            for (sql, expected) in [
                ("SELECT tessera.watch('nokey')", "no single-column primary key"),
                ("SELECT tessera.watch('twogeoms')", "2 geometry columns"),
                ("SELECT tessera.watch('twogeoms', geometry_column => 'id')", "is not a geometry column"),
                (
                    "SELECT tessera.watch('twogeoms', geometry_column => 'a', render_columns => ARRAY['zz'])",
                    "render column \"zz\" does not exist"
                ),
            ] {
                do {
                    try await db.execute(sql)
                    Issue.record("accepted: \(sql)")
                } catch let error as PSQLError {
                    #expect(
                        error.serverInfo?[.message]?.contains(expected) == true,
                        "\(sql): \(String(reflecting: error))"
                    )
                }
            }
        }
    }
}
