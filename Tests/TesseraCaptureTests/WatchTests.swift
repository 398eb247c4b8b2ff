import PostgresNIO
import TesseraCapture
import TesseraDatabaseTestSupport
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

    @Test func capturesInsertsUpdatesAndDeletesThatRender() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.roads)
            try await db.execute(
                """
                INSERT INTO roads (name, highway, geom) VALUES
                  ('a', 'primary', 'SRID=4326;LINESTRING(13.3 52.5, 13.4 52.51)'),
                  ('b', 'service', NULL);
                UPDATE roads SET note = 'ignored: not a rendering column';
                UPDATE roads SET name = name;
                UPDATE roads SET name = 'A' WHERE name = 'a';
                UPDATE roads SET geom = 'SRID=4326;LINESTRING(1 1, 2 2)' WHERE name = 'b';
                DELETE FROM roads WHERE name = 'A';
                """
            )
            let ops = try await db.column(
                "SELECT op::text || ':' || coalesce(feature_id, '') || ':' || coalesce(array_to_string(changed_columns, ','), '-') FROM tessera.changes ORDER BY id"
            )
            #expect(ops == ["I:1:-", "U:1:name", "U:2:", "D:1:-"])
            #expect(
                try await db.int(
                    "SELECT count(*) FROM tessera.changes WHERE op = 'U' AND feature_id = '2' AND old_geom IS NULL AND new_geom IS NOT NULL"
                ) == 1
            )
            #expect(try await db.int("SELECT count(DISTINCT txid) FROM tessera.changes") == 4)
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
            let c = try await db.connect()
            let claimed = try await c.withTransaction(logger: db.logger) { conn in
                try await ChangeQueue.claim(limit: 10, on: conn, logger: db.logger)
            }
            try await c.close()
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
            let received = try await listener.listen(on: ChangeListener.channel) { notifications in
                try await db.execute(
                    """
                    BEGIN;
                    INSERT INTO roads (geom) SELECT 'SRID=4326;LINESTRING(0 0, 1 1)' FROM generate_series(1, 1000);
                    UPDATE roads SET geom = 'SRID=4326;LINESTRING(0 0, 3 3)';
                    DELETE FROM roads WHERE id % 2 = 0;
                    COMMIT;
                    """
                )
                try await db.execute("UPDATE roads SET note = 'no rendering change'")  // no notification
                try await db.execute("INSERT INTO roads (geom) VALUES ('SRID=4326;LINESTRING(0 0, 1 1)')")
                var payloads: [String] = []
                for try await n in notifications {
                    payloads.append(n.payload)
                    if payloads.count == 2 { break }
                }
                return payloads
            }
            try await listener.close()
            #expect(received == ["", ""])
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
