import Foundation
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry

/// The JSON of subscriptions, deliveries and dead letters in answers.
enum Representation {
    static func subscription(_ s: Subscription, secret: String? = nil) -> JSONValue {
        let t = s.settings
        var filter: JSONValue = .null
        if let g = t.filter, let text = try? GeoJSON.encode(g), let v = try? JSONValue.parse(Array(text.utf8)) {
            filter = v
        }
        var members: [(key: String, value: JSONValue)] = [
            ("id", .string(s.id.uuidString.lowercased())),
            ("name", .string(t.name)),
            ("url", .string(t.url)),
            ("output", .string(t.output.rawValue)),
            ("method", .string(t.method.rawValue)),
            ("headers", .object(t.headers.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("kind", .string(t.kind.rawValue)),
            ("layers", .array(t.layers.map { .string($0) })),
            ("filter", filter),
            ("format", .string(t.format.rawValue)),
            ("compression", .string(t.compression.rawValue)),
            ("debounce_ms", .int(t.debounceMilliseconds)),
            ("max_delay_ms", .int(t.maxDelayMilliseconds)),
            ("max_tiles", .int(t.maxTiles)),
            ("rollup", .string(t.rollUp.rawValue)),
            ("timeout_ms", .int(t.timeoutMilliseconds)),
            ("rate_per_minute", .int(t.ratePerMinute)),
            ("max_in_flight", .int(t.maxInFlight)),
            ("ordered", .bool(t.ordered)),
            ("retry_schedule_ms", .array(t.retryScheduleMilliseconds.map { .int($0) })),
            ("ban_header", .string(t.outputOptions.banHeader)),
            ("retention_hours", .int(t.outputOptions.retentionHours)),
            ("status", .string(s.status.rawValue)),
            ("disabled_reason", .string(s.disabledReason)),
            ("created_at", .date(s.createdAt)),
            ("updated_at", .date(s.updatedAt)),
        ]
        if let secret { members.append(("secret", .string(secret))) }
        return .object(members)
    }

    static func delivery(_ d: DeliveryRecord) -> JSONValue {
        .object([
            ("id", .string(String(d.id))),
            ("event_id", .string(d.eventID.uuidString.lowercased())),
            ("subscription_id", .string(d.subscriptionID.uuidString.lowercased())),
            ("event_type", .string(d.eventType)),
            ("status", .string(d.status)),
            ("attempts", .int(d.attempts)),
            ("last_status_code", .int(d.lastStatusCode)),
            ("last_error", .string(d.lastError)),
            ("latency_ms", .int(d.latencyMilliseconds)),
            ("content_type", .string(d.contentType)),
            ("content_encoding", .string(d.contentEncoding)),
            ("payload_bytes", .int(d.payloadBytes)),
            ("change_count", .int(d.changeCount)),
            ("window_start", .date(d.windowStart)),
            ("window_end", .date(d.windowEnd)),
            ("created_at", .date(d.createdAt)),
            ("next_attempt_at", .date(d.status == "pending" ? d.nextAttemptAt : nil)),
            ("delivered_at", .date(d.deliveredAt)),
            ("dead_at", .date(d.deadAt)),
        ])
    }

    static func delivery(_ d: DeliveryWithAttempts) -> JSONValue {
        guard case .object(var members) = delivery(d.delivery) else { return .null }
        members.append(("attempt_history", .array(d.attempts.map(attempt))))
        return .object(members)
    }

    static func attempt(_ a: DeliveryAttemptRecord) -> JSONValue {
        .object([
            ("attempt", .int(a.attempt)),
            ("started_at", .date(a.startedAt)),
            ("duration_ms", .int(a.durationMilliseconds)),
            ("status_code", .int(a.statusCode)),
            ("error", .string(a.error)),
            ("response_body", .string(a.responseBody)),
            ("outcome_lost", .bool(a.outcomeLost)),
            ("probe", .bool(a.probe)),
        ])
    }

    /// `{"data": [...], "next_cursor": "..."}`; `next_cursor` is null on the last page.
    static func page(_ items: [JSONValue], nextCursor: String?) -> JSONValue {
        .object([("data", .array(items)), ("next_cursor", .string(nextCursor))])
    }
}
