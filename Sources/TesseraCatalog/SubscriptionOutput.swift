import Foundation
import TesseraGeometry
import TesseraGrids

/// How a subscription's deliveries reach their receiver.
public enum SubscriptionOutput: String, Hashable, Sendable, CaseIterable {
    /// A signed request carrying the payload (JSON, `z/x/y` lines or Protobuf) to `url`.
    case webhook
    /// One request per stale tile to the URL template `url` (method `PURGE` by default): a cache
    /// (Varnish, nginx cache purge, Squid, a CDN) evicts exactly the stale tiles.
    case httpPurge = "http-purge"
    /// Each event written as a file of `z/x/y` lines into the directory `url` (`file:///…`), for
    /// mod_tile's `render_expired`, tegola's tile-list purge and osm2pgsql-style scripts.
    case expireFiles = "expire-files"

    /// Outputs planned but not built yet: refused with a message saying so.
    public static let planned = ["varnish-ban", "geowebcache"]

    /// The methods this output sends with, the default first.
    public var methods: [WebhookMethod] {
        switch self {
        case .webhook: [.POST, .PUT, .PATCH]
        case .httpPurge: [.PURGE, .DELETE, .BAN, .POST]
        case .expireFiles: [.POST]
        }
    }

    /// Whether the payload is the subscription's `format` (only the webhook's is).
    public var sendsPayloadFormat: Bool { self == .webhook }
}

/// The settings only some outputs read (`tessera.subscriptions.output_options`).
public struct OutputOptions: Hashable, Sendable {
    /// `http-purge`: the header a BAN carries its URL regex in, for the whole-layer purge a TRUNCATE
    /// becomes (Varnish: `ban("req.url ~ " + req.http.X-Ban-Url)`).
    public var banHeader = "X-Ban-Url"
    /// `expire-files`: files older than this many hours are removed when the next one is written;
    /// 0 keeps every file (the consumer removes what it read).
    public var retentionHours = 24

    public init() {}

    /// Every option as a JSON object: what is stored, and what the API shows.
    public var json: JSONValue {
        .object([("ban_header", .string(banHeader)), ("retention_hours", .number(Double(retentionHours)))])
    }

    /// Reads a stored object; members it does not know (a newer tessera wrote them) are left out.
    public init(stored: JSONValue) {
        guard case .object(let members) = stored else { return }
        for (key, value) in members {
            switch (key, value) {
            case ("ban_header", .string(let s)): banHeader = s
            case ("retention_hours", .number(let n)) where n >= 0 && n < 1e6: retentionHours = Int(n)
            default: continue
            }
        }
    }
}

/// A tile URL template of the `http-purge` output: `{layer}`, `{z}`, `{x}`, `{y}`, `{-y}` (the row
/// counted from the other edge, TMS order), `{tms}` (`z/x/-y`) and `{quadkey}` in the path or the
/// query; the scheme, host and port are fixed (they are what the address policy checks).
public struct TileURLTemplate: Hashable, Sendable {
    /// The template as written.
    public let text: String
    /// The scheme, host and port: `http://cache:6081`.
    public let origin: String
    private let parts: [Part]

    enum Part: Hashable, Sendable {
        case literal(String)
        case layer, z, x, y, flippedY, tms, quadkey
    }

    /// The placeholders, by name.
    public static let placeholders = ["layer", "z", "x", "y", "-y", "tms", "quadkey"]

    /// - Throws: ``TileURLTemplateError`` naming what is wrong: an unknown or unclosed placeholder, one
    ///   in the scheme, host or port, no tile placeholder at all, or no `http(s)://host`.
    public init(_ text: String) throws(TileURLTemplateError) {
        self.text = text
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw TileURLTemplateError("must start with http:// or https://")
        }
        let afterScheme = text.index(text.startIndex, offsetBy: lower.hasPrefix("https://") ? 8 : 7)
        let pathStart = text[afterScheme...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? text.endIndex
        let authority = text[afterScheme..<pathStart]
        guard !authority.isEmpty else { throw TileURLTemplateError("has no host") }
        guard !authority.contains("{") && !authority.contains("}") else {
            throw TileURLTemplateError("placeholders may only be in the path or the query, not in the host or port")
        }
        origin = String(text[..<pathStart])
        var parts: [Part] = []
        var literal = ""
        var i = pathStart
        while i < text.endIndex {
            let c = text[i]
            if c == "}" { throw TileURLTemplateError("has a '}' without its '{'") }
            guard c == "{" else {
                literal.append(c)
                i = text.index(after: i)
                continue
            }
            guard let close = text[i...].firstIndex(of: "}") else {
                throw TileURLTemplateError("has a '{' without its '}'")
            }
            let name = String(text[text.index(after: i)..<close])
            let part: Part
            switch name {
            case "layer": part = .layer
            case "z": part = .z
            case "x": part = .x
            case "y": part = .y
            case "-y": part = .flippedY
            case "tms": part = .tms
            case "quadkey": part = .quadkey
            default:
                throw TileURLTemplateError(
                    "has an unknown placeholder {\(name)} (known: \(Self.placeholders.map { "{\($0)}" }.joined(separator: ", ")))"
                )
            }
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
            parts.append(part)
            i = text.index(after: close)
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        let names = Set(parts.filter { if case .literal = $0 { false } else { true } })
        let addresses =
            names.contains(.quadkey) || names.contains(.tms)
            || (names.contains(.z) && names.contains(.x) && (names.contains(.y) || names.contains(.flippedY)))
        guard addresses else {
            throw TileURLTemplateError(
                "must name a tile: {z}, {x} and {y} (or {-y}), or {tms}, or {quadkey}"
            )
        }
        self.parts = parts
    }

    /// The template's URL with every placeholder replaced by a sample value: what the address policy checks.
    public var sampleURL: String { origin + target(layer: "layer", z: 1, x: 0, y: 0, matrixHeight: 2) }

    /// The request target (path and query) of one tile.
    /// - Parameter matrixHeight: the rows of the tile's matrix (`{-y}` counts from the other edge).
    public func target(layer: String, z: Int, x: Int, y: Int, matrixHeight: Int) -> String {
        var out = ""
        out.reserveCapacity(48)
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .layer: out += Self.percentEncoded(layer)
            case .z: out += String(z)
            case .x: out += String(x)
            case .y: out += String(y)
            case .flippedY: out += String(matrixHeight - 1 - y)
            case .tms: out += "\(z)/\(x)/\(matrixHeight - 1 - y)"
            case .quadkey: out += Tile(z: z, x: x, y: y).quadkey
            }
        }
        return out
    }

    /// The literal start of the request target, up to the first placeholder other than `{layer}`:
    /// every tile of `layer` has a target beginning with it (a whole-layer ban matches it).
    public func prefix(layer: String) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .layer: out += Self.percentEncoded(layer)
            case .z, .x, .y, .flippedY, .tms, .quadkey: return out
            }
        }
        return out
    }

    /// A layer name as one path segment: unreserved characters as they are, the rest percent-encoded.
    static func percentEncoded(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])"
            }
        }
        return out
    }
}

/// Why a tile URL template was refused.
public struct TileURLTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The directory of an `expire-files` subscription, from its `file:` URL.
public enum ExpireDirectory {
    /// The absolute path of `file:///path` (or `file:/path`), without `.` or `..` segments and
    /// without percent-escapes it cannot decode; nil when `url` is not such a URL.
    public static func path(of url: String) -> String? {
        let rest: Substring
        if url.hasPrefix("file:///") {
            rest = url.dropFirst(7)
        } else if url.hasPrefix("file:/") && !url.hasPrefix("file://") {
            rest = url.dropFirst(5)
        } else {
            return nil
        }
        guard let decoded = String(rest).removingPercentEncoding, decoded.hasPrefix("/"), !decoded.contains("\0")
        else { return nil }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true)
        guard !segments.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        return "/" + segments.joined(separator: "/")
    }
}
