import Foundation
import NIOCore
import Synchronization
import TesseraCatalog
import TesseraDatabaseTestSupport
import Testing

@testable import TesseraDelivery

/// The `http-purge` output against a real Varnish in front of a loopback origin, and against a
/// receiver that fails some purges.
@Suite(.serialized) struct HTTPPurgeOutputTests {
    /// An origin whose every answer names how many times the origin was asked: a tile served again
    /// from the cache repeats its number, one the cache evicted gets a new one.
    static func origin() async throws -> TestReceiver {
        let served = Atomic<Int>(0)
        return try await TestReceiver.start { _ in
            let n = served.wrappingAdd(1, ordering: .relaxed).newValue
            return TestReceiver.Reply(status: 200, headers: [("Cache-Control", "max-age=3600")], body: "render \(n)")
        }
    }

    /// GETs `path` through the cache; returns the body.
    static func get(_ path: String, from varnish: Varnish, sender: WebhookSender) async throws -> String {
        let url = try DispatchFixture.loopback.checkURL(varnish.origin + path)
        let outcome = await sender.send(
            WebhookRequest(url: url, method: .GET, headers: [:], body: ByteBuffer(), timeout: .seconds(10))
        )
        guard outcome.statusCode == 200, let body = outcome.responseBody else {
            throw ShellError(message: "GET \(path): \(outcome)")
        }
        return body
    }

    static func tilePath(_ z: Int, _ x: Int, _ y: Int) -> String { "/tiles/roads/\(z)/\(x)/\(y).pbf" }

    /// A Varnish in front of ``origin()``, and a client to read tiles through it.
    static func withCache(_ body: (Varnish, WebhookSender) async throws -> Void) async throws {
        let origin = try await Self.origin()
        defer { Task { try? await origin.stop() } }
        let varnish = try await Varnish.start(originPort: origin.port)
        defer { varnish.stop() }
        let sender = WebhookSender(configuration: .init(policy: DispatchFixture.loopback))
        defer { Task { try? await sender.shutdown() } }
        try await body(varnish, sender)
    }

    @Test func purgesEvictExactlyTheListedTilesFromARealVarnish() async throws {
        try await Self.withCache { varnish, sender in try await purgesEvictExactlyTheListedTiles(varnish, sender) }
    }

    func purgesEvictExactlyTheListedTiles(_ varnish: Varnish, _ sender: WebhookSender) async throws {
        // 64 tiles cached; 20 of them stale.
        let all = (0..<8).flatMap { x in (0..<8).map { y in (12, 2200 + x, 1340 + y) } }
        let stale = Array(all.enumerated().filter { $0.offset % 3 == 0 }.map(\.element).prefix(20))
        var before: [String: String] = [:]
        for (z, x, y) in all {
            let path = Self.tilePath(z, x, y)
            before[path] = try await Self.get(path, from: varnish, sender: sender)
            // Cached: asked again, the same render.
            #expect(try await Self.get(path, from: varnish, sender: sender) == before[path])
        }
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(
                url: varnish.origin + "/tiles/{layer}/{z}/{x}/{y}.pbf",
                method: "PURGE",
                maxInFlight: 8,
                output: "http-purge"
            )
            let list = PurgeList(stale.map { .init(method: "PURGE", target: Self.tilePath($0.0, $0.1, $0.2)) })
            try await f.deliveries(sub, count: 1, contentType: PurgeList.contentType, output: "http-purge") { _ in
                list.bytes
            }
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 1 })
            #expect(
                try await f.db.int(
                    "SELECT count(*) FROM tessera.delivery_attempts WHERE status_code = 200 AND response_body LIKE '20 of 20 purge requests sent now%'"
                ) == 1
            )
        }
        let stalePaths = Set(stale.map { Self.tilePath($0.0, $0.1, $0.2) })
        for (z, x, y) in all {
            let path = Self.tilePath(z, x, y)
            let now = try await Self.get(path, from: varnish, sender: sender)
            if stalePaths.contains(path) {
                #expect(now != before[path], "\(path) was purged and must be rendered again")
            } else {
                #expect(now == before[path], "\(path) was not listed and must still be served from the cache")
            }
        }
    }

    @Test func aWholeLayerBanEvictsTheLayerAndNothingElse() async throws {
        try await Self.withCache { varnish, sender in try await aWholeLayerBanEvicts(varnish, sender) }
    }

    func aWholeLayerBanEvicts(_ varnish: Varnish, _ sender: WebhookSender) async throws {
        let roads = (0..<10).map { "/tiles/roads/10/\(500 + $0)/300.pbf" }
        let others = (0..<10).map { "/tiles/roadsigns/10/\(500 + $0)/300.pbf" } + ["/tiles/water/3/1/1.pbf"]
        var before: [String: String] = [:]
        for path in roads + others { before[path] = try await Self.get(path, from: varnish, sender: sender) }
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(
                url: varnish.origin + "/tiles/{layer}/{z}/{x}/{y}.pbf",
                method: "PURGE",
                output: "http-purge"
            )
            let list = PurgeList([.init(method: "BAN", target: "/", banExpression: "^/tiles/roads/")])
            try await f.deliveries(sub, count: 1, contentType: PurgeList.contentType, output: "http-purge") { _ in
                list.bytes
            }
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 1 })
        }
        for path in roads {
            #expect(try await Self.get(path, from: varnish, sender: sender) != before[path], "\(path) banned")
        }
        for path in others {
            #expect(try await Self.get(path, from: varnish, sender: sender) == before[path], "\(path) kept")
        }
    }

    @Test func onlyTheFailedPurgesAreRetriedAndTheProgressIsStored() async throws {
        // Every purge of an odd column fails on its first try.
        let failedOnce = Mutex(Set<String>())
        let receiver = try await TestReceiver.start { request in
            let column = Int(request.uri.split(separator: "/")[2]) ?? 0
            let first = failedOnce.withLock { $0.insert(request.uri).inserted }
            if column % 2 == 1 && first { return .status(503) }
            return request.uri.hasSuffix("/0.pbf") ? .status(404) : .ok
        }
        defer { Task { try? await receiver.stop() } }
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(
                url: "http://127.0.0.1:\(receiver.port)/t/{z}/{x}/{y}.pbf",
                method: "PURGE",
                maxInFlight: 4,
                scheduleMs: [100, 100],
                output: "http-purge"
            )
            let targets = (0..<40).map { "/t/9/\($0)/\($0 % 5).pbf" }
            let list = PurgeList(targets.map { .init(method: "PURGE", target: $0) })
            try await f.deliveries(sub, count: 1, contentType: PurgeList.contentType, output: "http-purge") { _ in
                list.bytes
            }
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 1 })
            let requests = receiver.requests
            // 40 first tries, then the 20 odd columns once more; the 404s (tiles the cache never held) count as done.
            #expect(requests.count == 60)
            #expect(requests.allSatisfy { $0.method == "PURGE" })
            let byTarget = Dictionary(grouping: requests, by: \.uri).mapValues(\.count)
            for (i, target) in targets.enumerated() {
                #expect(byTarget[target] == (i % 2 == 1 ? 2 : 1), "\(target)")
            }
            #expect(
                try await f.db.int(
                    "SELECT count(*) FROM tessera.delivery_attempts WHERE status_code = 503 AND response_body LIKE '20 of 40 purge requests not done%'"
                ) == 1
            )
            // The stored progress: every request done.
            let bits = try await f.db.column("SELECT encode(progress, 'hex') FROM tessera.deliveries")
            #expect(bits == ["ffffffffff"])
        }
    }
}
