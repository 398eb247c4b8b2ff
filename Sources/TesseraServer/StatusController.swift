import Foundation
import Hummingbird
import Logging
import PostgresNIO
import TesseraCapture
import TesseraDelivery
import TesseraGeometry
import TesseraGrids
import TesseraInvalidation

/// `/v1/status` and `/v1/status/tiles`: what the status page shows, for the key's tenant: the backlog
/// of every watched table, the open windows, each subscription's delivery figures over the last five
/// minutes with its breaker, and the tiles its recent deliveries listed.
struct StatusController: Sendable {
    let client: PostgresClient
    let deliveries: DeliveryLogStore
    /// The breakers of this process's dispatcher; nil when it runs none (the page says `unknown`).
    let health: EndpointHealth?
    let logger: Logger

    /// The window of the delivery figures.
    static let activitySeconds = 300
    /// The most deliveries and tiles one `/v1/status/tiles` reads and returns.
    static let maxPayloads = 500
    static let maxTiles = 20000

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.get("status", use: status)
        group.get("status/tiles", use: tiles)
    }

    @Sendable func status(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let logger = self.logger
        let (backlog, windows) = try await client.withConnection { conn in
            (
                try await ChangeQueue.backlog(on: conn, logger: logger),
                try await PendingStore.openWindows(on: conn, logger: logger)
            )
        }
        let activity = try await deliveries.activity(tenant: tenant, seconds: Self.activitySeconds)
        let tables: [JSONValue] = backlog.sorted { $0.table < $1.table }.map { b in
            .object([
                ("table", .string(b.table)),
                ("outbox_rows", .number(Double(b.rows))),
                ("changes_pending", .number(Double(b.changes))),
                ("lag_s", .number(b.oldestAgeSeconds ?? 0)),
            ])
        }
        let subscriptions: [JSONValue] = activity.map { a in
            let id = a.id.uuidString.lowercased()
            return .object([
                ("id", .string(id)),
                ("name", .string(a.name)),
                ("status", .string(a.status)),
                ("delivered", .number(Double(a.delivered))),
                ("delivered_per_s", .number(Double(a.delivered) / Double(Self.activitySeconds))),
                ("failed_attempts", .number(Double(a.failedAttempts))),
                ("pending", .number(Double(a.pending))),
                ("dead_letters", .number(Double(a.deadLetters))),
                ("lag_s", .number(a.oldestUndeliveredSeconds)),
                ("breaker", .string(health?.state(ofSubscription: id)?.rawValue ?? "unknown")),
            ])
        }
        return .json(
            .object([
                ("generated_at", .string(ISO8601DateFormatter().string(from: Date()))),
                ("window_s", .number(Double(Self.activitySeconds))),
                ("tables", .array(tables)),
                ("windows_open", .number(Double(windows.count))),
                ("subscriptions", .array(subscriptions)),
            ])
        )
    }

    /// `?minutes=5` (1 to 60): the tiles the tenant's deliveries of the last minutes listed, each with
    /// its WGS84 bounds, newest delivery first; `truncated` when the caps cut the list.
    @Sendable func tiles(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        var minutes = 5
        if let text = request.uri.queryParameters["minutes"] {
            guard let n = Int(String(text)), (1...60).contains(n) else {
                throw Problem.malformed(field: "minutes", "must be an integer from 1 to 60")
            }
            minutes = n
        }
        let payloads = try await deliveries.recentPayloads(
            tenant: tenant,
            seconds: minutes * 60,
            limit: Self.maxPayloads + 1
        )
        var truncated = payloads.count > Self.maxPayloads
        var items: [JSONValue] = []
        var seen: Set<Tile> = []
        for p in payloads.prefix(Self.maxPayloads) where p.eventType == TileInvalidation.eventType {
            let remaining = Self.maxTiles - items.count
            guard remaining > 0 else {
                truncated = true
                break
            }
            guard
                let listed = try? TileInvalidation.listedTiles(
                    payload: p.payload,
                    contentType: p.contentType,
                    contentEncoding: p.contentEncoding,
                    limit: remaining
                )
            else { continue }
            let set = (try? TileMatrixSet.named(listed.tileMatrixSet ?? "WebMercatorQuad")) ?? .webMercatorQuad
            let at = Double(Int64(p.createdAt.timeIntervalSince1970 * 1000))
            for tile in listed.tiles where seen.insert(tile).inserted {
                guard let b = try? tile.bounds(in: set) else { continue }
                items.append(
                    .object([
                        ("z", .number(Double(tile.z))), ("x", .number(Double(tile.x))), ("y", .number(Double(tile.y))),
                        ("bbox", .array([.number(b.west), .number(b.south), .number(b.east), .number(b.north)])),
                        ("subscription", .string(p.subscriptionID.uuidString.lowercased())),
                        ("at_ms", .number(at)),
                    ])
                )
            }
        }
        return .json(
            .object([
                ("minutes", .number(Double(minutes))),
                ("tiles", .array(items)),
                ("truncated", .bool(truncated)),
            ])
        )
    }
}
