import Testing

@testable import TesseraGeometry

@Suite struct GeoJSONTests {
    @Test func readsEveryGeometryType() throws {
        let text = """
            {"type":"GeometryCollection","geometries":[
              {"type":"Point","coordinates":[1.5,2,99]},
              {"type":"MultiPoint","coordinates":[[0,0],[1,1]]},
              {"type":"LineString","coordinates":[[0,0],[1,1]]},
              {"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]},
              {"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]},
              {"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}
            ]}
            """
        let g = try GeoJSON.decodeGeometry(Array(text.utf8))
        guard case .geometryCollection(let parts) = g else {
            Issue.record("expected a collection, got \(g)")
            return
        }
        #expect(
            parts.map(\.typeName) == [
                "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
            ]
        )
        #expect(parts[0] == .point(Position(1.5, 2)))  // altitude dropped
        guard case .polygon(let poly) = parts[4] else { return }
        #expect(poly.rings.count == 2)
        #expect(poly.holes.first?.first == Position(1, 1))
    }

    @Test func readsFeaturesWithIdPropertiesAndBBoxAndIgnoresForeignMembers() throws {
        let text = """
            {"type":"FeatureCollection","title":"foreign","features":[
              {"type":"Feature","id":"a\\u00e9","bbox":[0,0,1,1],"geometry":{"type":"Point","coordinates":[0,0]},
               "properties":{"name":"x","n":[1,true,null]},"extra":{"ignored":1}},
              {"type":"Feature","id":7,"geometry":null,"properties":null}
            ]}
            """
        let doc = try GeoJSON.decode(Array(text.utf8))
        guard case .featureCollection(let fs) = doc else {
            Issue.record("expected a collection")
            return
        }
        #expect(fs.count == 2)
        #expect(fs[0].id == .string("aé"))
        #expect(fs[0].bbox == [0, 0, 1, 1])
        #expect(fs[0].properties?["name"] == .string("x"))
        #expect(fs[1].id == .number(7))
        #expect(fs[1].geometry == nil)
        #expect(doc.geometries == [.point(Position(0, 0))])
    }

    @Test func writesWhatItReads() throws {
        let feature = Feature(
            id: .string("road \"7\""),
            geometry: .multiPolygon([
                Polygon([
                    [
                        Position(-180, -85.0511287798066), Position(0.1, 0), Position(1e-7, 3),
                        Position(-180, -85.0511287798066),
                    ]
                ])
            ]),
            properties: .object([("lanes", .number(2)), ("oneway", .bool(true)), ("note", .string("a\nb"))]),
            bbox: [-180, -85.0511287798066, 0.1, 3]
        )
        let text = try GeoJSON.encode(feature)
        #expect(text.hasPrefix("{\"type\":\"Feature\",\"id\":\"road \\\"7\\\"\""))
        let back = try GeoJSON.decode(Array(text.utf8))
        #expect(back == .feature(feature))
    }

    @Test func refusesNonFiniteOnWrite() {
        #expect(throws: GeoJSONError.self) { try GeoJSON.encode(Geometry.point(Position(.nan, 0))) }
    }

    @Test(arguments: [
        ("{\"type\":\"Point\",\"coordinates\":[1]}", "coordinates", GeoJSONError.Code.invalidCoordinates),
        ("{\"type\":\"Point\"}", "", .missingMember),
        ("{\"type\":\"Circle\",\"coordinates\":[1,2]}", "type", .unknownType),
        ("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,\"x\"]]]}", "coordinates[0][1]", .invalidCoordinates),
        (
            "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{}}]}", "features[0]",
            .missingMember
        ),
        ("{\"type\":\"Point\",\"coordinates\":[1,2]", "", .syntax),
        ("[1,2,]", "", .syntax),
        ("{\"type\":\"Point\",\"coordinates\":[01,2]}", "", .syntax),
        ("", "", .syntax),
    ])
    func namesWhatIsWrong(text: String, path: String, code: GeoJSONError.Code) {
        do {
            _ = try GeoJSON.decode(Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == code)
            #expect(error.path == path)
            #expect(!error.message.isEmpty)
        }
    }

    @Test func refusesAbsurdNestingWithoutCrashing() {
        let text = String(repeating: "[", count: 100_000)
        #expect(throws: GeoJSONError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func parsesNumbersExactly() throws {
        let v = try JSONValue.parse(Array("[-0.1, 1e-7, 123456789.123456789, 2.5E+3, 0]".utf8))
        #expect(v == .array([.number(-0.1), .number(1e-7), .number(123456789.123456789), .number(2500), .number(0)]))
    }
}
