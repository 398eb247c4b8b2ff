import Foundation
import TesseraGeometry

/// The JSON fields of a subscription, read onto ``SubscriptionDefinition``: by the API for create
/// (POST) and update (PATCH: only the members present change; `null` clears `filter` and
/// `rate_per_minute`), and by the configuration file for the subscriptions it declares. One reader,
/// so the file and the API agree on what a subscription is.
extension SubscriptionDefinition {
    /// Every field, in the order the API documents them.
    public static let fields = [
        "name", "url", "output", "method", "headers", "kind", "layers", "filter", "format", "compression",
        "debounce_ms",
        "max_delay_ms", "max_tiles", "rollup", "timeout_ms", "rate_per_minute", "max_in_flight", "ordered",
        "retry_schedule_ms", "ban_header", "retention_hours",
    ]

    /// Applies the members of `reader` to `settings`, recording problems in `reader`.
    /// - Parameter creating: when true, `name`, `url` and `layers` are required.
    public static func read(_ reader: inout FieldReader, into settings: inout SubscriptionDefinition, creating: Bool) {
        reader.refuseUnknown(fields)
        if creating {
            for key in ["name", "url", "layers"] { reader.require(key) }
        }
        if let name = reader.string("name") {
            if name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 200 {
                reader.refuse("name", "must be 1 to 200 characters, not blank")
            } else if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                reader.refuse("name", "must not contain control characters")
            } else {
                settings.name = name
            }
        }
        if let url = reader.string("url") {
            if url.utf8.count > 2048 {
                reader.refuse("url", "must be at most 2048 bytes")
            } else if url.unicodeScalars.contains(where: {
                $0.properties.generalCategory == .control || $0.properties.isWhitespace
            }) {
                reader.refuse("url", "must not contain spaces or control characters (percent-encode them)")
            } else {
                settings.url = url
            }
        }
        readOutput(&reader, into: &settings)
        if let v = reader["headers"] { readHeaders(v, into: &reader, settings: &settings) }
        if let kind = reader.string("kind") {
            if let known = SubscriptionKind(rawValue: kind) {
                settings.kind = known
            } else if SubscriptionKind.planned.contains(kind) {
                reader.refuse("kind", "'\(kind)' subscriptions are not available yet; only 'tiles' is")
            } else {
                reader.refuse(
                    "kind",
                    "must be 'tiles' (features, sensors and geofences are not available yet), got '\(kind)'"
                )
            }
        }
        if let v = reader["layers"] { readLayers(v, into: &reader, settings: &settings) }
        if let v = reader["filter"] {
            if case .null = v {
                settings.filter = nil
            } else if let g = readFilter(v, into: &reader) {
                settings.filter = g
            }
        }
        if let f = reader.oneOf("format", PayloadFormat.self) { settings.format = f }
        if let c = reader.oneOf("compression", PayloadCompression.self) { settings.compression = c }
        if let r = reader.oneOf("rollup", RollUp.self) { settings.rollUp = r }
        if let d = reader.int("debounce_ms", in: 0...86_400_000, unit: " ms") { settings.debounceMilliseconds = d }
        if let d = reader.int("max_delay_ms", in: 0...86_400_000, unit: " ms") { settings.maxDelayMilliseconds = d }
        if let t = reader.int("max_tiles", in: 1...10_000_000) { settings.maxTiles = t }
        if let t = reader.int("timeout_ms", in: 1...60_000, unit: " ms (60 s at most)") {
            settings.timeoutMilliseconds = t
        }
        if let v = reader["rate_per_minute"] {
            if case .null = v {
                settings.ratePerMinute = nil
            } else if let r = reader.integer(v, field: "rate_per_minute", in: 1...1_000_000) {
                settings.ratePerMinute = r
            }
        }
        if let m = reader.int("max_in_flight", in: 1...1000) { settings.maxInFlight = m }
        if let o = reader.bool("ordered") { settings.ordered = o }
        if let v = reader["retry_schedule_ms"] {
            guard case .array(let items) = v else {
                reader.wrongType("retry_schedule_ms", "an array of delays in milliseconds", v)
                return
            }
            if items.count > 20 {
                reader.refuse("retry_schedule_ms", "may have at most 20 delays (21 attempts), got \(items.count)")
            }
            var schedule: [Int] = []
            for (i, item) in items.enumerated() {
                if let d = reader.integer(
                    item,
                    field: "retry_schedule_ms[\(i)]",
                    in: 0...604_800_000,
                    unit: " ms (7 days)"
                ) {
                    schedule.append(d)
                }
            }
            if schedule.count == items.count { settings.retryScheduleMilliseconds = schedule }
        }
    }

    /// `output`, `method` and the output's options, then `url` read as that output reads it. Changing
    /// the output without naming a method resets the method to the new output's default.
    private static func readOutput(_ reader: inout FieldReader, into settings: inout SubscriptionDefinition) {
        if let text = reader.string("output") {
            if let output = SubscriptionOutput(rawValue: text) {
                if output != settings.output && !reader.has("method") { settings.method = output.methods[0] }
                settings.output = output
            } else if SubscriptionOutput.planned.contains(text) {
                reader.refuse("output", "the '\(text)' output is not available yet; use http-purge or expire-files")
            } else {
                reader.refuse(
                    "output",
                    "must be one of \(SubscriptionOutput.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'"
                )
            }
        }
        let methods = settings.output.methods
        if let text = reader.string("method") {
            if let method = WebhookMethod(rawValue: text), methods.contains(method) {
                settings.method = method
            } else {
                reader.refuse(
                    "method",
                    "the \(settings.output.rawValue) output sends with \(methods.map(\.rawValue).joined(separator: ", ")), "
                        + "got '\(text)'"
                )
            }
        } else if !methods.contains(settings.method) {
            settings.method = methods[0]
        }
        if let header = reader.string("ban_header") {
            do {
                try CustomHeaders.validate([header: "^/"])
                settings.outputOptions.banHeader = header
            } catch {
                reader.refuse("ban_header", error.reason)
            }
        }
        if let hours = reader.int("retention_hours", in: 0...87_600, unit: " hours") {
            settings.outputOptions.retentionHours = hours
        }
        // The URL as the output reads it (a webhook's is checked by the address policy where it is used).
        guard reader.has("url") || reader.has("output") else { return }
        switch settings.output {
        case .webhook:
            break
        case .httpPurge:
            do {
                _ = try TileURLTemplate(settings.url)
            } catch {
                reader.refuse("url", "is not a tile URL template: \(error.reason)")
            }
        case .expireFiles:
            if ExpireDirectory.path(of: settings.url) == nil {
                reader.refuse(
                    "url",
                    "must be a file: URL of an absolute directory path, such as file:///var/lib/tessera/expire"
                )
            }
        }
    }

    /// Custom headers, checked with the rules the webhook output applies when it sends
    /// (``CustomHeaders/validate(_:)``), so that what is accepted is what is sent.
    private static func readHeaders(
        _ v: JSONValue,
        into reader: inout FieldReader,
        settings: inout SubscriptionDefinition
    ) {
        guard case .object(let members) = v else {
            reader.wrongType("headers", "an object of header names to string values", v)
            return
        }
        var headers: [String: String] = [:]
        var ok = true
        for (name, value) in members {
            let field = "headers.\(name)"
            guard case .string(let text) = value else {
                reader.wrongType(field, "a string", value)
                ok = false
                continue
            }
            do {
                try CustomHeaders.validate([name: text])
            } catch {
                reader.refuse(field, error.reason)
                ok = false
                continue
            }
            if headers.keys.contains(where: { $0.lowercased() == name.lowercased() }) {
                reader.refuse(field, "is given twice (header names are case-insensitive)")
                ok = false
            }
            headers[name] = text
        }
        guard ok else { return }
        do {
            try CustomHeaders.validate(headers)
        } catch {
            reader.refuse("headers", error.reason)
            return
        }
        settings.headers = headers
    }

    private static func readLayers(
        _ v: JSONValue,
        into reader: inout FieldReader,
        settings: inout SubscriptionDefinition
    ) {
        guard case .array(let items) = v else {
            reader.wrongType("layers", "an array of layer names", v)
            return
        }
        var layers: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else {
                reader.wrongType("layers[\(i)]", "a string", item)
                continue
            }
            if s.isEmpty || s.count > 200 {
                reader.refuse("layers[\(i)]", "must be 1 to 200 characters")
            } else if s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                reader.refuse("layers[\(i)]", "must not contain control characters")
            } else if layers.contains(s) {
                reader.refuse("layers[\(i)]", "'\(s)' is listed twice")
            } else {
                layers.append(s)
            }
        }
        if items.isEmpty { reader.refuse("layers", "must name at least one layer") }
        if items.count > 100 { reader.refuse("layers", "may name at most 100 layers") }
        settings.layers = layers
    }

    /// A bbox `[west, south, east, north]` in degrees, or a GeoJSON Polygon or MultiPolygon.
    private static func readFilter(_ v: JSONValue, into reader: inout FieldReader) -> Geometry? {
        switch v {
        case .array(let items):
            guard items.count == 4 else {
                reader.refuse("filter", "a bbox must be [west, south, east, north], got \(items.count) numbers")
                return nil
            }
            var numbers: [Double] = []
            for (i, item) in items.enumerated() {
                guard case .number(let n) = item, n.isFinite else {
                    reader.wrongType("filter[\(i)]", "a number", item)
                    return nil
                }
                numbers.append(n)
            }
            let (w, s, e, n) = (numbers[0], numbers[1], numbers[2], numbers[3])
            guard (-180...180).contains(w), (-180...180).contains(e) else {
                reader.refuse("filter", "bbox longitudes must be from -180 to 180")
                return nil
            }
            guard (-90...90).contains(s), (-90...90).contains(n) else {
                reader.refuse("filter", "bbox latitudes must be from -90 to 90")
                return nil
            }
            guard w < e else {
                reader.refuse(
                    "filter",
                    "bbox west (\(w)) must be less than east (\(e)); across the antimeridian use a MultiPolygon"
                )
                return nil
            }
            guard s < n else {
                reader.refuse("filter", "bbox south (\(s)) must be less than north (\(n))")
                return nil
            }
            let ring = [
                Position(longitude: w, latitude: s), Position(longitude: e, latitude: s),
                Position(longitude: e, latitude: n), Position(longitude: w, latitude: n),
                Position(longitude: w, latitude: s),
            ]
            return .polygon(Polygon([ring]))
        case .object:
            let object: GeoJSONObject
            do {
                object = try GeoJSON.decode(v)
            } catch {
                reader.refuse("filter", "is not valid GeoJSON: \(error.description)")
                return nil
            }
            guard case .geometry(let g) = object, g.typeName == "Polygon" || g.typeName == "MultiPolygon" else {
                reader.refuse("filter", "must be a GeoJSON Polygon or MultiPolygon geometry, or a bbox array")
                return nil
            }
            // An empty polygon is valid GEOS but covers nothing: as a filter it would drop every change.
            if g.isEmpty {
                reader.refuse("filter", "is an empty \(g.typeName); a filter must cover some area")
                return nil
            }
            let issues = GeometryValidator().validate(g)
            if let issue = issues.first {
                let at = issue.path.isEmpty ? "" : " at \(issue.path)"
                reader.refuse("filter", "is not a valid polygon\(at): \(issue.reason)")
                return nil
            }
            return g
        default:
            reader.wrongType(
                "filter",
                "a bbox [west, south, east, north], a GeoJSON Polygon or MultiPolygon, or null",
                v
            )
            return nil
        }
    }
}
