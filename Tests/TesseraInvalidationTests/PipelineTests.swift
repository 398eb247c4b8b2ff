import Logging
import PostgresNIO
import TesseraCapture
import TesseraCatalog
import TesseraDatabaseTestSupport
import TesseraDelivery
import TesseraGeometry
import TesseraGrids
import TesseraPostgres
import Testing

@testable import TesseraInvalidation

/// Changes → processor → windows → deliveries, on a real PostGIS.
@Suite struct PipelineTests {
    static let setup = """
        CREATE TABLE buildings (id int PRIMARY KEY, kind text, height int, geom geometry(Polygon, 4326));
        INSERT INTO tessera.layers (name, min_zoom, max_zoom, buffer_pixels, buffer_extent) VALUES ('buildings', 10, 16, 64, 4096);
        SELECT tessera.watch('buildings', render_columns => ARRAY['kind'], layers => ARRAY['buildings']);
        INSERT INTO tessera.subscriptions (name, url, layers, format, compression, debounce_ms, max_delay_ms)
        VALUES ('cache', 'http://127.0.0.1:9/expire', ARRAY['buildings'], 'protobuf', 'zstd', 0, 0);
        """

    /// Runs the processor until the outbox is empty, then closes every due window.
    static func drain(_ db: TestDatabase, batch: Int = 500) async throws {
        let c = try await db.connect()
        do {
            while true {
                let report = try await c.withTransaction(logger: db.logger) { conn in
                    try await ChangeProcessor.processBatch(
                        on: conn,
                        effects: ChangeEffects(),
                        limit: batch,
                        logger: db.logger
                    )
                }
                if report.claimed == 0 { break }
            }
            while try await c.withTransaction(
                logger: db.logger,
                { conn in
                    try await WindowFlusher.flushDue(on: conn, limit: 100, logger: db.logger)
                }
            ) > 0 {}
        } catch {
            // Closed before the error propagates: a connection left open fails an assertion in debug builds.
            try? await c.close()
            throw error
        }
        try await c.close()
    }

    /// Every delivery of the database, decoded as a receiver would.
    static func deliveries(_ db: TestDatabase) async throws -> [TileInvalidation] {
        let c = try await db.connect()
        var out: [TileInvalidation] = []
        let rows = try await c.query(
            "SELECT payload, content_encoding, content_type, event_id::text FROM tessera.deliveries ORDER BY id",
            logger: db.logger
        )
        for try await (payload, encoding, type, eventID) in rows.decode((ByteBuffer, String?, String, String).self) {
            #expect(type == PayloadFormat.protobuf.contentType)
            let raw = try PayloadCompression(rawValue: encoding ?? "none")!.decompress(Array(payload.readableBytesView))
            let inv = try TileInvalidation(protobuf: Tessera_V1_TileInvalidation(serializedBytes: raw))
            #expect(inv.eventID == eventID)
            out.append(inv)
        }
        try await c.close()
        return out
    }

    static func square(_ lon: Double, _ lat: Double, _ size: Double) -> Geometry {
        .polygon(
            Polygon([
                [
                    Position(lon, lat), Position(lon + size, lat), Position(lon + size, lat + size),
                    Position(lon, lat + size), Position(lon, lat),
                ]
            ])
        )
    }

    static func wkt(_ g: Geometry) -> String {
        guard case .polygon(let p) = g else { return "" }
        return "SRID=4326;POLYGON((" + p.exterior.map { "\($0.longitude) \($0.latitude)" }.joined(separator: ",") + "))"
    }

    @Test func tilesEqualTheCoverOfOldUnionNewAtEveryZoom() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.setup)
            let a = Self.square(13.40, 52.52, 0.002)
            let a2 = Self.square(13.43, 52.50, 0.003)
            let b = Self.square(2.35, 48.85, 0.001)
            try await db.execute(
                """
                INSERT INTO buildings VALUES (1, 'house', 3, '\(Self.wkt(a))'), (2, 'shed', 1, '\(Self.wkt(b))');
                UPDATE buildings SET geom = '\(Self.wkt(a2))' WHERE id = 1;
                UPDATE buildings SET height = 9;
                UPDATE buildings SET kind = 'hut' WHERE id = 2;
                DELETE FROM buildings WHERE id = 2;
                """
            )
            try await Self.drain(db)
            let events = try await Self.deliveries(db)
            #expect(events.count == 1)
            let event = try #require(events.first)
            #expect(event.layer == "buildings" && event.tileMatrixSet == "WebMercatorQuad")
            // Two inserts, the move, the kind change and the delete; the height-only update is not captured.
            #expect(event.changeCount == 5)
            let cover = TileCover()
            let expected = try cover.cover([a, a2, b], zooms: 10...16, buffer: RenderBuffer(parsing: "64/4096"))
            #expect(event.zooms.map(\.tiles.zoom) == Array(10...16))
            for (got, want) in zip(event.zooms, expected) {
                #expect(got.tiles == want, "zoom \(want.zoom)")
                #expect(got.rolledUpFrom == nil)
            }
            let bbox = try #require(event.bbox)
            #expect(abs(bbox.west - 2.35) < 1e-9 && abs(bbox.north - 52.522) < 1e-9 && abs(bbox.east - 13.433) < 1e-9)
            #expect(try await db.int("SELECT count(*) FROM tessera.changes") == 0)
            #expect(try await db.int("SELECT count(*) FROM tessera.pending") == 0)
        }
    }

    @Test func aFilteredSubscriptionGetsOnlyTheTilesTouchingItsArea() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.setup)
            let area = Self.square(13.40, 52.50, 0.01)
            try await db.execute(
                """
                INSERT INTO tessera.subscriptions (name, url, layers, format, compression, debounce_ms, max_delay_ms, filter)
                VALUES ('berlin', 'http://127.0.0.1:9/expire', ARRAY['buildings'], 'protobuf', 'zstd', 0, 0, '\(Self.wkt(area))');
                """
            )
            // One building straddles the area's east edge; one is in Paris.
            let edge = Self.square(13.405, 52.505, 0.012)
            let paris = Self.square(2.35, 48.85, 0.001)
            try await db.execute("INSERT INTO buildings VALUES (1, 'house', 3, '\(Self.wkt(edge))')")
            try await Self.drain(db)
            try await db.execute("INSERT INTO buildings VALUES (2, 'house', 3, '\(Self.wkt(paris))')")
            try await Self.drain(db)
            let rows = try await db.column(
                """
                SELECT s.name FROM tessera.deliveries d JOIN tessera.subscriptions s ON s.id = d.subscription_id
                ORDER BY d.id
                """
            )
            #expect(rows == ["cache", "berlin", "cache"] || rows == ["berlin", "cache", "cache"])
            let events = try await Self.deliveries(db)
            let berlin = try #require(events.count == 3 ? events[rows.firstIndex(of: "berlin")!] : nil)
            let cover = TileCover()
            let stale = try cover.cover([edge], zooms: 10...16, buffer: RenderBuffer(parsing: "64/4096"))
            let wanted = try cover.cover([area], zooms: 10...16)
            #expect(berlin.zooms.map(\.tiles.zoom) == Array(10...16))
            for (got, (s, w)) in zip(berlin.zooms, zip(stale, wanted)) {
                #expect(got.tiles == s.intersection(w), "zoom \(s.zoom)")
                #expect(got.tiles.count < s.count || s.count == s.intersection(w).count)
            }
            // At z16 the building reaches past the area: those tiles are not the subscriber's.
            #expect(berlin.zooms.last!.tiles.count < stale.last!.count)
        }
    }

    @Test func invalidGeometriesAreQuarantinedWithTheGEOSReasonAndDoNotBlock() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.setup)
            try await db.execute(
                """
                INSERT INTO buildings VALUES
                  (1, 'bowtie', 1, 'SRID=4326;POLYGON((10 50, 10.01 50.01, 10.01 50, 10 50.01, 10 50))'),
                  (2, 'fine', 1, '\(Self.wkt(Self.square(10.5, 50.5, 0.001)))');
                """
            )
            try await Self.drain(db)
            #expect(
                try await db.column("SELECT reason FROM tessera.quarantine").first??.contains("Self-intersection")
                    == true
            )
            #expect(try await db.column("SELECT feature_id FROM tessera.quarantine") == ["1"])
            let location = try await db.column(
                "SELECT ST_AsText(ST_SnapToGrid(location::geometry, 1e-9)) FROM tessera.quarantine"
            )
            #expect(location == ["POINT(10.005 50.005)"])
            let events = try await Self.deliveries(db)
            #expect(events.first?.changeCount == 2)  // the bowtie's tiles are still purged (from its repaired shape)
            let z16 = try #require(events.first?.zooms.last?.tiles)
            let bowtie = Geometry.polygon(
                Polygon([
                    [
                        Position(10, 50), Position(10.01, 50.01), Position(10.01, 50), Position(10, 50.01),
                        Position(10, 50),
                    ]
                ])
            )
            let bowtieTiles = try TileCover().cover(
                GeometryValidator().repaired(bowtie),
                zoom: 16,
                buffer: RenderBuffer(parsing: "64/4096")
            )
            #expect(bowtieTiles.count > 4)
            #expect(bowtieTiles.allSatisfy { z16.contains($0) })
            #expect(try await db.int("SELECT count(*) FROM tessera.changes") == 0)
        }
    }

    @Test func aHundredThousandRowUpdateBecomesOneCoalescedEvent() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.setup)
            try await db.execute(
                """
                INSERT INTO buildings
                SELECT i, 'house', 1, ST_MakeEnvelope(13 + (i % 400) * 0.0005, 52 + (i / 400) * 0.0005,
                                                      13 + (i % 400) * 0.0005 + 0.0002, 52 + (i / 400) * 0.0005 + 0.0002, 4326)
                FROM generate_series(1, 100000) i;
                """
            )
            try await Self.drain(db, batch: 5000)
            try await db.execute(
                "DELETE FROM tessera.deliveries; UPDATE buildings SET kind = 'flat', geom = ST_Translate(geom, 0.0001, 0);"
            )
            #expect(try await db.int("SELECT count(*) FROM tessera.changes") == 100_000)
            try await Self.drain(db, batch: 5000)
            let events = try await Self.deliveries(db)
            #expect(events.count == 1)
            #expect(events.first?.changeCount == 100_000)
            #expect(events.first?.zooms.count == 7)
        }
    }

    @Test func twoProcessorsPutEveryChangeIntoDeliveriesExactlyOnce() async throws {
        try await TestDatabase.with { db in
            try await db.execute(Self.setup)
            try await db.execute(
                """
                DO $$ BEGIN FOR s IN 0..119 LOOP  -- 120 edits of 50 features each
                    INSERT INTO buildings
                    SELECT i, 'house', 1, ST_MakeEnvelope(5 + (i % 100) * 0.01, 45 + (i / 100) * 0.01,
                                                          5 + (i % 100) * 0.01 + 0.001, 45 + (i / 100) * 0.01 + 0.001, 4326)
                    FROM generate_series(s * 50 + 1, s * 50 + 50) i;
                END LOOP; END $$;
                UPDATE tessera.subscriptions SET debounce_ms = 0, max_delay_ms = 0;
                """
            )
            // Two independent processors (own connections, own GEOS contexts), small batches, racing.
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        let c = try await db.connect()
                        var total = 0
                        while true {
                            let r = try await c.withTransaction(logger: db.logger) { conn in
                                try await ChangeProcessor.processBatch(
                                    on: conn,
                                    effects: ChangeEffects(),
                                    limit: 150,
                                    logger: db.logger
                                )
                            }
                            if r.claimed == 0 { break }
                            total += r.claimed
                            // Close windows as we go, so windows are written and read back concurrently.
                            _ = try await c.withTransaction(logger: db.logger) { conn in
                                try await WindowFlusher.flushDue(on: conn, limit: 50, logger: db.logger)
                            }
                        }
                        try await c.close()
                        return total
                    }
                }
                var claimed: [Int] = []
                for try await n in group { claimed.append(n) }
                #expect(claimed.reduce(0, +) == 6000)
                #expect(claimed.allSatisfy { $0 > 0 })
            }
            try await Self.drain(db)
            let events = try await Self.deliveries(db)
            #expect(events.reduce(0) { $0 + $1.changeCount } == 6000)
            #expect(try await db.int("SELECT count(*) FROM tessera.changes") == 0)
        }
    }
}
