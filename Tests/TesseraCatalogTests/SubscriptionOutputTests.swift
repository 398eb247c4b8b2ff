import TesseraGeometry
import Testing

@testable import TesseraCatalog

/// The outputs a subscription may name, their methods and options, and the tile URL template.
@Suite struct SubscriptionOutputTests {
    static func read(_ json: String, into start: SubscriptionDefinition? = nil) throws -> (
        SubscriptionDefinition, [FieldProblem]
    ) {
        guard case .object(let members) = try JSONValue.parse(Array(json.utf8)) else {
            Issue.record("not an object")
            return (SubscriptionDefinition(name: "", url: "", layers: []), [])
        }
        var reader = FieldReader(members: members)
        var definition = start ?? SubscriptionDefinition(name: "", url: "", layers: [])
        SubscriptionDefinition.read(&reader, into: &definition, creating: start == nil)
        return (definition, reader.problems)
    }

    @Test func aPurgeSubscriptionDefaultsToPURGEAndKeepsItsOptions() throws {
        let (d, problems) = try Self.read(
            #"{"name": "v", "url": "http://cache:6081/tiles/{layer}/{z}/{x}/{y}.pbf", "layers": ["roads"], "output": "http-purge", "ban_header": "X-Purge-Regex"}"#
        )
        #expect(problems == [])
        #expect(d.output == .httpPurge)
        #expect(d.method == .PURGE)
        #expect(d.outputOptions.banHeader == "X-Purge-Regex")
        // Stored as JSON and read back unchanged.
        #expect(OutputOptions(stored: d.outputOptions.json) == d.outputOptions)
    }

    @Test func eachOutputTakesOnlyItsMethods() throws {
        let (_, purge) = try Self.read(
            #"{"name": "v", "url": "http://c/{z}/{x}/{y}", "layers": ["r"], "output": "http-purge", "method": "PUT"}"#
        )
        #expect(
            purge == [
                FieldProblem(
                    field: "method",
                    reason: "the http-purge output sends with PURGE, DELETE, BAN, POST, got 'PUT'"
                )
            ]
        )
        let (_, webhook) = try Self.read(#"{"name": "w", "url": "http://c/", "layers": ["r"], "method": "PURGE"}"#)
        #expect(webhook.map(\.field) == ["method"])
    }

    @Test func changingTheOutputResetsTheMethodUnlessGiven() throws {
        let webhook = SubscriptionDefinition(name: "w", url: "http://c/hook", layers: ["r"])
        let (d, problems) = try Self.read(
            #"{"output": "http-purge", "url": "http://c/{z}/{x}/{y}.png"}"#,
            into: webhook
        )
        #expect(problems == [])
        #expect(d.method == .PURGE)
        let (e, _) = try Self.read(
            #"{"output": "http-purge", "url": "http://c/{z}/{x}/{y}.png", "method": "DELETE"}"#,
            into: webhook
        )
        #expect(e.method == .DELETE)
    }

    @Test func outputsStillToComeAndUnknownOnesAreRefused() throws {
        let (_, planned) = try Self.read(
            #"{"name": "g", "url": "http://c/", "layers": ["r"], "output": "geowebcache"}"#
        )
        #expect(planned.map(\.field) == ["output"])
        #expect(planned.first?.reason.contains("not available yet") == true)
        let (_, unknown) = try Self.read(#"{"name": "g", "url": "http://c/", "layers": ["r"], "output": "kafka"}"#)
        #expect(unknown.first?.reason.contains("must be one of webhook, http-purge, expire-files") == true)
    }

    @Test func aPurgeURLMustBeATileTemplate() throws {
        let cases: [(String, String)] = [
            ("http://c/tiles/{z}/{x}.pbf", "must name a tile"),
            ("http://{layer}.cache/{z}/{x}/{y}", "not in the host or port"),
            ("http://c/{z}/{x}/{row}", "unknown placeholder {row}"),
            ("http://c/{z}/{x}/{y", "'{' without its '}'"),
            ("ftp://c/{z}/{x}/{y}", "must start with http:// or https://"),
        ]
        for (url, reason) in cases {
            let (_, problems) = try Self.read(
                #"{"name": "v", "url": "\#(url)", "layers": ["r"], "output": "http-purge"}"#
            )
            #expect(problems.map(\.field) == ["url"], "\(url)")
            #expect(problems.first?.reason.contains(reason) == true, "\(url): \(problems)")
        }
    }

    @Test func anExpireDirectoryIsAnAbsoluteFileURL() throws {
        #expect(ExpireDirectory.path(of: "file:///var/lib/tessera/expire/") == "/var/lib/tessera/expire")
        #expect(ExpireDirectory.path(of: "file:/srv/expire") == "/srv/expire")
        #expect(ExpireDirectory.path(of: "file:///srv/a%20b") == "/srv/a b")
        #expect(ExpireDirectory.path(of: "file:///srv/../etc") == nil)
        #expect(ExpireDirectory.path(of: "file://host/srv") == nil)
        #expect(ExpireDirectory.path(of: "/srv/expire") == nil)
        let (d, problems) = try Self.read(
            #"{"name": "m", "url": "file:///srv/expire", "layers": ["r"], "output": "expire-files", "retention_hours": 6}"#
        )
        #expect(problems == [])
        #expect(d.outputOptions.retentionHours == 6)
        let (_, bad) = try Self.read(#"{"name": "m", "url": "http://c/", "layers": ["r"], "output": "expire-files"}"#)
        #expect(bad.map(\.field) == ["url"])
    }

    @Test func aTemplateExpandsEveryPlaceholder() throws {
        let t = try TileURLTemplate(
            "https://cdn.example.com:8443/t/{layer}/{z}/{x}/{y}.pbf?tms={tms}&f={-y}&q={quadkey}"
        )
        #expect(t.origin == "https://cdn.example.com:8443")
        // Tile 3/5/2 of an 8-row matrix: TMS row 5; quadkey digits 2·ybit + xbit from zoom 1: 1, 2, 1.
        #expect(
            t.target(layer: "roads & rails", z: 3, x: 5, y: 2, matrixHeight: 8)
                == "/t/roads%20%26%20rails/3/5/2.pbf?tms=3/5/5&f=5&q=121"
        )
        #expect(t.prefix(layer: "roads") == "/t/roads/")
        #expect(t.sampleURL == "https://cdn.example.com:8443/t/layer/1/0/0.pbf?tms=1/0/1&f=1&q=0")
    }
}
