import Foundation
import Hummingbird
import HummingbirdTesting
import TesseraCatalog
import TesseraGeometry
import TesseraGrids
import Testing

@Suite("Partitions API")
struct PartitionAPITests {
    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func near(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-6) -> Bool {
        a.map { abs($0 - b) <= tolerance } ?? false
    }

    @Test("an S2 map: one range per cube face, each partition's bbox the face's bounds")
    func s2Map() async throws {
        try await APIHarness.with { h in
            let id = try #require(try await h.createSubscription(key: h.alpha, name: "devices")["id"]?.string)
            let map = try PartitionMap(uniform: try PartitionGrid(.s2, level: 13), partitions: 6)
            let store = PartitionMapStore(client: h.client, logger: APIHarness.logger)
            try await store.publish(map, loads: [1, 1, 1, 1, 1, 2], subscription: try #require(UUID(uuidString: id)))

            let response = try await h.call(.get, "/v1/subscriptions/\(id)/partitions", key: h.alpha)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let body = try response.json()
            #expect(body["subscription"]?.string == id)
            #expect(body["epoch"]?.number == 1)
            let published = try #require(body["published_at"]?.string)
            #expect(throws: Never.self) {
                try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(published)
            }
            #expect(body["grid"]?["system"]?.string == "s2")
            #expect(body["grid"]?["level"]?.number == 13)
            #expect(body["grid"]?["finest_level"]?.number == 17)
            #expect(body["partition_count"]?.number == 6)
            #expect(Self.near(body["imbalance"]?.number, 2 / (7 / 6.0)))

            let partitions = try #require(body["partitions"]?.array)
            #expect(partitions.count == 6)
            let polar = atan(1 / 2.0.squareRoot()) * 180 / Double.pi
            let faces: [[Double]] = [
                [-45, -45, 45, 45], [45, -45, 135, 45], [-180, polar, 180, 90],
                [135, -45, -135, 45], [-135, -45, -45, 45], [-180, -90, 180, -polar],
            ]
            var next = "0000000000000000"
            for (p, partition) in partitions.enumerated() {
                #expect(partition["partition"]?.number == Double(p))
                #expect(partition["load"]?.number == (p == 5 ? 2 : 1))
                #expect(Self.near(partition["load_share"]?.number, p == 5 ? 2 / 7.0 : 1 / 7.0))
                let bbox = (partition["bbox"]?.array ?? []).compactMap(\.number)
                #expect(bbox.count == 4)
                for (got, want) in zip(bbox, faces[p]) { #expect(Self.near(got, want), "face \(p): \(bbox)") }

                let ranges = try #require(partition["ranges"]?.array)
                #expect(ranges.count == 1)
                let range = ranges[0]
                #expect(range["first"]?.string == next, "the ranges follow each other along the curve")
                #expect(range["last"]?.string == Self.hex(UInt64(p + 1) << 61 - 1))
                #expect(range["spread"] == .bool(false))
                let firstCell = S2CellID(id: UInt64(p) << 61 | 1 << 34).token
                #expect(range["first_cell"]?.string == firstCell)
                #expect(range["last_cell"]?.string != nil)
                next = Self.hex(UInt64(p + 1) << 61)
            }
            #expect(next == Self.hex(6 << 61), "the last range ends where the last face does")
        }
    }

    @Test("an H3 map covers the curve; the partition with the north pole reaches it")
    func h3Map() async throws {
        try await APIHarness.with { h in
            let id = try #require(try await h.createSubscription(key: h.alpha, name: "hexes")["id"]?.string)
            let grid = try PartitionGrid(.h3, level: 3)
            var ranges = try PartitionMap(uniform: grid, partitions: 8).ranges
            // One hot base cell, spread over partitions 1 and 2.
            let hot = UInt64(40) << 45
            ranges.removeAll { $0.start == hot || $0.start == hot + 1 << 45 }
            ranges.append(PartitionRange(start: hot, owners: [1, 2]))
            ranges.append(PartitionRange(start: hot + 1 << 45, owners: [2]))
            ranges.sort { $0.start < $1.start }
            let map = try PartitionMap(grid: grid, partitions: 8, epoch: 1, ranges: ranges)
            let store = PartitionMapStore(client: h.client, logger: APIHarness.logger)
            try await store.publish(map, loads: nil, subscription: try #require(UUID(uuidString: id)))

            let body = try await h.call(.get, "/v1/subscriptions/\(id)/partitions", key: h.alpha).json()
            #expect(body["imbalance"] == .null)
            let partitions = try #require(body["partitions"]?.array)
            #expect(partitions.count == 8)
            var pieces: [(first: String, last: String, spread: Bool)] = []
            for partition in partitions {
                #expect(partition["load"] == .null)
                #expect(partition["load_share"] == .null)
                #expect(partition["bbox"]?.array?.count == 4)
                for range in partition["ranges"]?.array ?? [] {
                    let spread = range["spread"] == .bool(true)
                    if let first = range["first"]?.string, let last = range["last"]?.string,
                        !spread || !pieces.contains(where: { $0.first == first })
                    {
                        pieces.append((first, last, spread))
                    }
                }
            }
            pieces.sort { $0.first < $1.first }
            #expect(pieces.first?.first == "0000000000000000")
            #expect(pieces.last?.last == Self.hex(UInt64(H3Curve.baseCellCount) << 45 - 1))
            for (a, b) in zip(pieces, pieces.dropFirst()) {
                #expect(UInt64(a.last, radix: 16).map { $0 + 1 } == UInt64(b.first, radix: 16), "\(a) then \(b)")
            }
            #expect(pieces.filter(\.spread).map(\.first) == [Self.hex(hot)])

            let pole = try grid.position(latitude: 90, longitude: 0)
            let bbox = (partitions[map.partition(of: pole)]["bbox"]?.array ?? []).compactMap(\.number)
            try #require(bbox.count == 4)
            #expect(bbox[1] < 90 && bbox[3] == 90 && bbox[0] == -180 && bbox[2] == 180, "\(bbox)")
        }
    }

    @Test("404 for a subscription of another tenant, an unknown one, and one without a map")
    func notFound() async throws {
        try await APIHarness.with { h in
            let id = try #require(try await h.createSubscription(key: h.alpha, name: "later")["id"]?.string)
            let none = try await h.call(.get, "/v1/subscriptions/\(id)/partitions", key: h.alpha)
            #expect(none.status == .notFound)
            #expect(none.headers[.contentType] == "application/problem+json")
            #expect(try none.json()["detail"]?.string == "subscription \(id) has no partition map")

            let store = PartitionMapStore(client: h.client, logger: APIHarness.logger)
            let map = try PartitionMap(uniform: try PartitionGrid(.s2, level: 13), partitions: 6)
            try await store.publish(map, loads: nil, subscription: try #require(UUID(uuidString: id)))
            #expect(try await h.call(.get, "/v1/subscriptions/\(id)/partitions", key: h.alpha).status == .ok)

            for (uri, key) in [
                ("/v1/subscriptions/\(id)/partitions", h.beta),
                ("/v1/subscriptions/\(UUID().uuidString.lowercased())/partitions", h.alpha),
                ("/v1/subscriptions/not-a-uuid/partitions", h.alpha),
            ] {
                let r = try await h.call(.get, uri, key: key)
                #expect(r.status == .notFound, "\(uri)")
                #expect(r.headers[.contentType] == "application/problem+json")
                #expect(try r.json()["detail"]?.string?.hasSuffix("not found") == true, "\(uri)")
            }
            #expect(try await h.call(.get, "/v1/subscriptions/\(id)/partitions", key: nil).status == .unauthorized)
        }
    }
}
