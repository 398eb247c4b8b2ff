import TesseraGeometry
import Testing

@testable import TesseraCatalog

/// The one reader of a subscription's fields, which the API and the configuration file share.
@Suite struct SubscriptionDefinitionTests {
    static func read(_ json: String, creating: Bool = true) throws -> (SubscriptionDefinition, [FieldProblem]) {
        guard case .object(let members) = try JSONValue.parse(Array(json.utf8)) else {
            Issue.record("not an object")
            return (SubscriptionDefinition(name: "", url: "", layers: []), [])
        }
        var reader = FieldReader(members: members)
        var definition = SubscriptionDefinition(name: "", url: "", layers: [])
        SubscriptionDefinition.read(&reader, into: &definition, creating: creating)
        return (definition, reader.problems)
    }

    @Test func everyFieldIsReadOntoTheModelWithItsType() throws {
        let (d, problems) = try Self.read(
            """
            {"name": "cache", "url": "https://cache.example.com/purge", "method": "PUT", "headers": {"X-Team": "maps"},
             "kind": "tiles", "layers": ["roads"], "filter": [5, 45, 10, 47], "format": "protobuf",
             "compression": "zstd", "debounce_ms": 250, "max_delay_ms": 2000, "max_tiles": 500, "rollup": "split",
             "timeout_ms": 5000, "rate_per_minute": 600, "max_in_flight": 8, "ordered": true,
             "retry_schedule_ms": [1000, 60000]}
            """
        )
        #expect(problems == [])
        #expect(d.method == .PUT)
        #expect(d.headers == ["X-Team": "maps"])
        #expect(d.format == .protobuf)
        #expect(d.compression == .zstd)
        #expect(d.rollUp == .split)
        #expect(d.retryScheduleMilliseconds == [1000, 60000])
        #expect(d.ratePerMinute == 600)
        #expect(d.ordered)
        #expect(d.filter?.boundingBox == BoundingBox(west: 5, south: 45, east: 10, north: 47))
    }

    @Test func theDefaultsAreTheModels() throws {
        let (d, problems) = try Self.read(#"{"name": "c", "url": "https://c.example.com/", "layers": ["roads"]}"#)
        #expect(problems == [])
        #expect(d == SubscriptionDefinition(name: "c", url: "https://c.example.com/", layers: ["roads"]))
    }

    @Test func theAllowedValuesAreTheEnumsCases() throws {
        let (_, problems) = try Self.read(
            #"{"name": "c", "url": "https://c.example.com/", "layers": ["roads"], "format": "xml", "rollup": "none"}"#
        )
        #expect(
            problems == [
                FieldProblem(field: "format", reason: "must be one of json, zxy, protobuf, got 'xml'"),
                FieldProblem(field: "rollup", reason: "must be one of parents, split, got 'none'"),
            ]
        )
    }

    @Test func kindsStillToComeAreRefusedSayingSo() throws {
        let (_, problems) = try Self.read(
            #"{"name": "c", "url": "https://c.example.com/", "layers": ["roads"], "kind": "sensors"}"#
        )
        #expect(problems.map(\.field) == ["kind"])
        #expect(problems.first?.reason.contains("not available yet") == true)
    }
}
