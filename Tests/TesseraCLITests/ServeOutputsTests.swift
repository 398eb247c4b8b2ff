import Foundation
import NIOCore
import Synchronization
import TesseraDatabaseTestSupport
import TesseraDelivery
import TesseraTestSupport
import Testing

/// `tessera serve` driving caches itself: edits in PostGIS purge a real Varnish (`http-purge`) and
/// write expire files that Debian's `render_expired` reads (`expire-files`); a TRUNCATE becomes a
/// whole-layer ban and a whole-layer marker.
@Suite(.serialized) struct ServeOutputsTests {
    static let layerZooms = 12...14

    static func setup(varnish: String, expireDirectory: String) -> String {
        """
        CREATE TABLE buildings (id bigserial PRIMARY KEY, kind text, geom geometry(Polygon, 4326));
        INSERT INTO tessera.layers (name, min_zoom, max_zoom, buffer_pixels) VALUES ('buildings', 12, 14, 0);
        SELECT tessera.watch('buildings', layers => ARRAY['buildings']);
        INSERT INTO tessera.subscriptions (name, url, layers, output, method, debounce_ms, max_delay_ms, retry_schedule_ms)
        VALUES ('varnish', '\(varnish)/tiles/{layer}/{z}/{x}/{y}.pbf', ARRAY['buildings'], 'http-purge', 'PURGE', 0, 0,
                ARRAY[200, 200]),
               ('mod_tile', 'file://\(expireDirectory)', ARRAY['buildings'], 'expire-files', 'POST', 0, 0, ARRAY[200, 200]);
        INSERT INTO tessera.subscription_secrets (subscription_id, secret)
        SELECT id, decode(repeat('ab', 32), 'hex') FROM tessera.subscriptions;
        """
    }

    static func config(url: String, expireRoot: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-\(UUID().uuidString).json")
            .path
        let text =
            #"{"database_url": "\#(url)", "processor": {"poll_interval_ms": 200, "flush_interval_ms": 50}, "api": {"listen": "127.0.0.1:0"}, "allow_networks": ["127.0.0.0/8"], "expire_roots": ["\#(expireRoot)"], "log_level": "warning"}"#
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The slippy-map tile of a point (the test's own arithmetic, not Tessera's).
    static func tile(lon: Double, lat: Double, z: Int) -> (Int, Int) {
        let n = Double(1 << z)
        let x = Int(((lon + 180) / 360 * n).rounded(.down))
        let r = lat * .pi / 180
        let y = Int(((1 - log(tan(r) + 1 / cos(r)) / .pi) / 2 * n).rounded(.down))
        return (x, y)
    }

    /// The 5×5 tiles around the point at each zoom: the cache's warm area.
    static func area(lon: Double, lat: Double) -> [(Int, Int, Int)] {
        layerZooms.flatMap { z in
            let (cx, cy) = tile(lon: lon, lat: lat, z: z)
            return (-2...2).flatMap { dx in (-2...2).map { dy in (z, cx + dx, cy + dy) } }
        }
    }

    static func path(_ t: (Int, Int, Int)) -> String { "/tiles/buildings/\(t.0)/\(t.1)/\(t.2).pbf" }

    static func get(_ path: String, from origin: String, sender: WebhookSender) async throws -> String {
        let url = try AddressPolicy(allowing: ["127.0.0.0/8"]).checkURL(origin + path)
        let outcome = await sender.send(
            WebhookRequest(url: url, method: .GET, headers: [:], body: ByteBuffer(), timeout: .seconds(10))
        )
        guard outcome.statusCode == 200, let body = outcome.responseBody else {
            throw ShellError(message: "GET \(path): \(outcome)")
        }
        return body
    }

    /// The mod_tile meta-tile file holding a tile (8×8 meta-tiles, the hashed directory layout).
    static func metaTile(root: String, _ t: (Int, Int, Int)) -> String {
        var (x, y) = (t.1 & ~7, t.2 & ~7)
        var hash: [Int] = []
        for _ in 0..<5 {
            hash.append(((x & 0x0f) << 4) | (y & 0x0f))
            x >>= 4
            y >>= 4
        }
        return "\(root)/default/\(t.0)/\(hash[4])/\(hash[3])/\(hash[2])/\(hash[1])/\(hash[0]).meta"
    }

    static func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    @Test func editsPurgeARealVarnishAndWriteExpireFilesThatRenderExpiredReads() async throws {
        let served = Atomic<Int>(0)
        let origin = try await TestReceiver.start { _ in
            let n = served.wrappingAdd(1, ordering: .relaxed).newValue
            return TestReceiver.Reply(status: 200, headers: [("Cache-Control", "max-age=3600")], body: "render \(n)")
        }
        defer { Task { try? await origin.stop() } }
        let varnish = try await Varnish.start(originPort: origin.port)
        defer { varnish.stop() }
        let sender = WebhookSender(configuration: .init(policy: try AddressPolicy(allowing: ["127.0.0.0/8"])))
        defer { Task { try? await sender.shutdown() } }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("expire-\(UUID().uuidString)").path
        let expireDirectory = root + "/buildings"
        defer { try? FileManager.default.removeItem(atPath: root) }

        let (lon, lat) = (13.4050, 52.5200)
        let warm = Self.area(lon: lon, lat: lat)

        try await TestDatabase.with { db in
            var before: [String: String] = [:]
            for t in warm {
                before[Self.path(t)] = try await Self.get(Self.path(t), from: varnish.origin, sender: sender)
            }
            try await db.execute(Self.setup(varnish: varnish.origin, expireDirectory: expireDirectory))
            let serve = ServeProcess(
                executable: CommandRunner.executable,
                configFile: try Self.config(url: "\(db.url.description)", expireRoot: root),
                logFile: FileManager.default.temporaryDirectory.appendingPathComponent("serve-outputs-\(db.name).log")
            )
            try serve.start()
            defer { serve.stop() }

            // A small building at the point: one tile per zoom (no buffer).
            try await db.execute(
                "INSERT INTO buildings (kind, geom) VALUES ('house', ST_Buffer(ST_SetSRID(ST_MakePoint(\(lon), \(lat)), 4326), 0.0001))"
            )
            #expect(
                try await Self.waitUntil(seconds: 30) {
                    try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'delivered'") == 2
                }
            )
            // The purge list names the building's tile at every zoom (the test's own arithmetic).
            let purged = try await db.column(
                "SELECT convert_from(d.payload, 'UTF8') FROM tessera.deliveries d WHERE d.output = 'http-purge'"
            ).compactMap { $0 }.joined().split(separator: "\n").map { String($0.dropFirst("PURGE ".count)) }
            let purgedSet = Set(purged)
            for z in Self.layerZooms {
                let (x, y) = Self.tile(lon: lon, lat: lat, z: z)
                #expect(purgedSet.contains(Self.path((z, x, y))), "zoom \(z)")
            }
            // Varnish: the purged tiles are rendered again, every other warm tile still comes from the cache.
            for t in warm {
                let p = Self.path(t)
                let now = try await Self.get(p, from: varnish.origin, sender: sender)
                if purgedSet.contains(p) {
                    #expect(now != before[p], "\(p) purged")
                } else {
                    #expect(now == before[p], "\(p) kept")
                }
                before[p] = now
            }
            // The expire file: the same tiles as z/x/y lines, atomically written (no temporary left).
            let files = try FileManager.default.contentsOfDirectory(atPath: expireDirectory).sorted()
            #expect(files.count == 1)
            let file = try #require(files.first)
            #expect(file.hasSuffix(".tiles"))
            let lines = try String(contentsOfFile: expireDirectory + "/" + file, encoding: .utf8)
                .split(separator: "\n").map(String.init)
            #expect(Set(lines.map { "/tiles/buildings/\($0).pbf" }) == purgedSet)

            // render_expired reads it: the meta-tiles of the listed tiles are deleted, a far one is kept.
            let tiles = root + "/tiles"
            let listed = lines.map { line -> (Int, Int, Int) in
                let n = line.split(separator: "/").map { Int($0)! }
                return (n[0], n[1], n[2])
            }
            let far = (14, 100, 100)
            for t in listed + [far] {
                let meta = Self.metaTile(root: tiles, t)
                try FileManager.default.createDirectory(
                    atPath: (meta as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true
                )
                #expect(FileManager.default.createFile(atPath: meta, contents: Data("meta".utf8)))
            }
            _ = try shell(
                "render_expired --tile-dir='\(tiles)' --delete-from=0 --min-zoom=12 --max-zoom=14 < '\(expireDirectory)/\(file)'"
            )
            for t in listed {
                #expect(!FileManager.default.fileExists(atPath: Self.metaTile(root: tiles, t)), "\(t) expired")
            }
            #expect(FileManager.default.fileExists(atPath: Self.metaTile(root: tiles, far)))

            // A TRUNCATE: the layer is far too big to list, so a ban of the whole layer and a marker file.
            try await db.execute("TRUNCATE buildings")
            #expect(
                try await Self.waitUntil(seconds: 30) {
                    try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'delivered'") == 4
                }
            )
            #expect(
                try await db.column(
                    "SELECT convert_from(payload, 'UTF8') FROM tessera.deliveries WHERE output = 'http-purge' ORDER BY id DESC LIMIT 1"
                ) == ["BAN / ^/tiles/buildings/\n"]
            )
            for t in warm {
                let p = Self.path(t)
                #expect(try await Self.get(p, from: varnish.origin, sender: sender) != before[p], "\(p) banned")
            }
            let markers = try FileManager.default.contentsOfDirectory(atPath: expireDirectory).filter {
                $0.hasSuffix(".layer")
            }
            #expect(markers.count == 1)
            let marker = try String(contentsOfFile: expireDirectory + "/" + (markers.first ?? ""), encoding: .utf8)
            #expect(marker.contains(#""layer":"buildings""#))
            #expect(marker.contains(#""min_zoom":12"#) && marker.contains(#""max_zoom":14"#))
        }
    }
}

/// A purge delivery cut by `kill -9` goes on where it stopped after the restart.
@Suite(.serialized) struct ServePurgeRestartTests {
    @Test func aPurgeBatchKilledMidwayIsFinishedAfterTheRestartSkippingNoneAndRepeatingOnlyTheLastSecond()
        async throws
    {
        // A slow cache: 20 ms a purge, two at a time, so 600 purges take about 6 s.
        let receiver = try await TestReceiver.start { _ in TestReceiver.Reply(status: 200, delay: .milliseconds(20)) }
        defer { Task { try? await receiver.stop() } }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("expire-\(UUID().uuidString)").path
        try await TestDatabase.with { db in
            try await db.execute(
                """
                INSERT INTO tessera.subscriptions (name, url, layers, output, method, max_in_flight, retry_schedule_ms)
                VALUES ('slow', 'http://127.0.0.1:\(receiver.port)/t/{z}/{x}/{y}.pbf', ARRAY['none'], 'http-purge',
                        'PURGE', 2, ARRAY[200, 200]);
                INSERT INTO tessera.subscription_secrets (subscription_id, secret)
                SELECT id, decode(repeat('ab', 32), 'hex') FROM tessera.subscriptions;
                INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type, output)
                SELECT gen_random_uuid(), id, 'tiles.invalidated',
                       convert_to((SELECT string_agg('PURGE /t/14/' || g || '/7.pbf', E'\\n') FROM generate_series(1, 600) g),
                                  'UTF8'),
                       'text/vnd.tessera.purge-list', 'http-purge'
                FROM tessera.subscriptions;
                """
            )
            let serve = ServeProcess(
                executable: CommandRunner.executable,
                configFile: try ServeOutputsTests.config(url: "\(db.url.description)", expireRoot: root),
                logFile: FileManager.default.temporaryDirectory.appendingPathComponent("serve-purge-\(db.name).log")
            )
            try serve.start()
            defer { serve.stop() }
            #expect(try await ServeOutputsTests.waitUntil(seconds: 30) { receiver.count >= 200 })
            serve.kill()
            let killed = ContinuousClock.now
            let beforeKill = receiver.requests
            #expect(beforeKill.count < 600, "the batch was still running when killed")
            try serve.start()
            #expect(
                try await ServeOutputsTests.waitUntil(seconds: 60) {
                    try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'delivered'") == 1
                }
            )
            let all = receiver.requests
            let counts = Dictionary(grouping: all, by: \.uri).mapValues(\.count)
            // None skipped.
            #expect(counts.count == 600)
            #expect(Set(counts.keys) == Set((1...600).map { "/t/14/\($0)/7.pbf" }))
            // Repeated: only purges first received in the second before the kill (the checkpoint
            // interval) or still in flight then, never an older one.
            let repeated = Set(counts.filter { $0.value > 1 }.keys)
            let firstSeen = Dictionary(
                beforeKill.map { ($0.uri, $0.receivedAt) },
                uniquingKeysWith: { a, _ in a }
            )
            for uri in repeated {
                let first = try #require(firstSeen[uri], "\(uri) was repeated without being sent before the kill")
                #expect(killed - first < .milliseconds(1500), "\(uri) was done \(killed - first) before the kill")
            }
            #expect(repeated.count < 100)
            #expect(try await db.int("SELECT count(*) FROM tessera.delivery_attempts WHERE outcome_lost") == 1)
        }
    }
}
