/// Writes compact GeoJSON. Numbers use the shortest text that reads back to the same Double.
struct GeoJSONWriter {
    var output = ""

    mutating func write(_ geometry: Geometry) throws(GeoJSONError) {
        output += "{\"type\":\"\(geometry.typeName)\","
        switch geometry {
        case .point(let p):
            output += "\"coordinates\":"
            try write(p)
        case .multiPoint(let ps):
            output += "\"coordinates\":"
            try write(ps)
        case .lineString(let l):
            output += "\"coordinates\":"
            try write(l.positions)
        case .multiLineString(let ls):
            output += "\"coordinates\":["
            for (i, l) in ls.enumerated() {
                if i > 0 { output += "," }
                try write(l.positions)
            }
            output += "]"
        case .polygon(let poly):
            output += "\"coordinates\":"
            try write(poly)
        case .multiPolygon(let polys):
            output += "\"coordinates\":["
            for (i, poly) in polys.enumerated() {
                if i > 0 { output += "," }
                try write(poly)
            }
            output += "]"
        case .geometryCollection(let gs):
            output += "\"geometries\":["
            for (i, g) in gs.enumerated() {
                if i > 0 { output += "," }
                try write(g)
            }
            output += "]"
        }
        output += "}"
    }

    mutating func write(_ polygon: Polygon) throws(GeoJSONError) {
        output += "["
        for (i, ring) in polygon.rings.enumerated() {
            if i > 0 { output += "," }
            try write(ring)
        }
        output += "]"
    }

    mutating func write(_ positions: [Position]) throws(GeoJSONError) {
        output += "["
        for (i, p) in positions.enumerated() {
            if i > 0 { output += "," }
            try write(p)
        }
        output += "]"
    }

    mutating func write(_ p: Position) throws(GeoJSONError) {
        output += "["
        try write(number: p.longitude)
        output += ","
        try write(number: p.latitude)
        output += "]"
    }

    mutating func write(number: Double) throws(GeoJSONError) {
        guard let text = JSONText.number(number) else {
            throw GeoJSONError(code: .notFinite, path: "", message: "\(number) cannot be written as JSON")
        }
        output += text
    }

    mutating func write(_ feature: Feature) throws(GeoJSONError) {
        output += "{\"type\":\"Feature\""
        switch feature.id {
        case .string(let s)?:
            output += ",\"id\":"
            write(string: s)
        case .number(let n)?:
            output += ",\"id\":"
            try write(number: n)
        case nil: break
        }
        if let bbox = feature.bbox { try write(bbox: bbox) }
        output += ",\"geometry\":"
        if let g = feature.geometry { try write(g) } else { output += "null" }
        output += ",\"properties\":"
        if let p = feature.properties { try write(json: p) } else { output += "null" }
        output += "}"
    }

    mutating func writeCollection(_ features: [Feature]) throws(GeoJSONError) {
        output += "{\"type\":\"FeatureCollection\",\"features\":["
        for (i, f) in features.enumerated() {
            if i > 0 { output += "," }
            try write(f)
        }
        output += "]}"
    }

    mutating func write(bbox: [Double]) throws(GeoJSONError) {
        output += ",\"bbox\":["
        for (i, n) in bbox.enumerated() {
            if i > 0 { output += "," }
            try write(number: n)
        }
        output += "]"
    }

    mutating func write(json: JSONValue) throws(GeoJSONError) {
        switch json {
        case .null: output += "null"
        case .bool(let b): output += b ? "true" : "false"
        case .number(let n): try write(number: n)
        case .string(let s): write(string: s)
        case .array(let items):
            output += "["
            for (i, item) in items.enumerated() {
                if i > 0 { output += "," }
                try write(json: item)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { output += "," }
                write(string: m.key)
                output += ":"
                try write(json: m.value)
            }
            output += "}"
        }
    }

    mutating func write(string: String) {
        output += JSONText.quoted(string)
    }
}
