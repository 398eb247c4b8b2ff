/// Reading and writing RFC 7946 GeoJSON.
///
/// Reading is structural: it checks types and nesting, and keeps positions as they are
/// (ranges, ring closure and point counts are the business of ``GeometryValidator``, so a
/// bad geometry can be reported with its reason rather than lost). Altitudes are dropped;
/// foreign members are ignored.
public enum GeoJSON {
    /// Parses a geometry, Feature or FeatureCollection.
    /// - Throws: ``GeoJSONError`` naming the member at fault.
    public static func decode(_ bytes: some Collection<UInt8>) throws(GeoJSONError) -> GeoJSONObject {
        try decode(JSONValue.parse(bytes))
    }

    /// Interprets an already parsed JSON value as GeoJSON.
    public static func decode(_ value: JSONValue) throws(GeoJSONError) -> GeoJSONObject {
        var decoder = GeoJSONDecoder()
        return try decoder.object(value, path: "")
    }

    /// Parses a document that must be a single geometry (not a Feature).
    public static func decodeGeometry(_ bytes: some Collection<UInt8>) throws(GeoJSONError) -> Geometry {
        var decoder = GeoJSONDecoder()
        return try decoder.geometry(JSONValue.parse(bytes), path: "")
    }

    /// Compact GeoJSON text for a geometry.
    /// - Throws: ``GeoJSONError`` `.notFinite` for NaN or infinite coordinates, which JSON cannot carry.
    public static func encode(_ geometry: Geometry) throws(GeoJSONError) -> String {
        var writer = GeoJSONWriter()
        try writer.write(geometry)
        return writer.output
    }

    /// Compact GeoJSON text for a Feature.
    public static func encode(_ feature: Feature) throws(GeoJSONError) -> String {
        var writer = GeoJSONWriter()
        try writer.write(feature)
        return writer.output
    }

    /// Compact GeoJSON text for any document.
    public static func encode(_ object: GeoJSONObject) throws(GeoJSONError) -> String {
        var writer = GeoJSONWriter()
        switch object {
        case .geometry(let g): try writer.write(g)
        case .feature(let f): try writer.write(f)
        case .featureCollection(let fs): try writer.writeCollection(fs)
        }
        return writer.output
    }
}

struct GeoJSONDecoder {
    func fail(_ code: GeoJSONError.Code, _ path: String, _ message: String) -> GeoJSONError {
        GeoJSONError(code: code, path: path, message: message)
    }

    func member(_ name: String, of value: JSONValue, path: String) throws(GeoJSONError) -> JSONValue {
        guard let v = value[name] else {
            throw fail(.missingMember, path, "missing \"\(name)\"")
        }
        return v
    }

    func join(_ path: String, _ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    mutating func object(_ value: JSONValue, path: String) throws(GeoJSONError) -> GeoJSONObject {
        guard case .object = value else {
            throw fail(.wrongType, path, "expected a GeoJSON object, found \(value.kindName)")
        }
        let type = try typeName(value, path: path)
        switch type {
        case "Feature":
            return .feature(try feature(value, path: path))
        case "FeatureCollection":
            let featuresPath = join(path, "features")
            guard case .array(let items) = try member("features", of: value, path: path) else {
                throw fail(.wrongType, featuresPath, "expected an array of features")
            }
            var features: [Feature] = []
            features.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                features.append(try feature(item, path: "\(featuresPath)[\(i)]"))
            }
            return .featureCollection(features)
        default:
            return .geometry(try geometry(value, path: path))
        }
    }

    func typeName(_ value: JSONValue, path: String) throws(GeoJSONError) -> String {
        guard case .string(let type) = try member("type", of: value, path: path) else {
            throw fail(.wrongType, join(path, "type"), "expected a string")
        }
        return type
    }

    mutating func feature(_ value: JSONValue, path: String) throws(GeoJSONError) -> Feature {
        guard case .object = value else { throw fail(.wrongType, path, "expected a Feature object") }
        let type = try typeName(value, path: path)
        guard type == "Feature" else {
            throw fail(.unknownType, join(path, "type"), "expected \"Feature\", found \"\(type)\"")
        }
        var id: FeatureID?
        switch value["id"] {
        case nil, .null?: id = nil
        case .string(let s)?: id = .string(s)
        case .number(let n)?: id = .number(n)
        case let other?:
            throw fail(.wrongType, join(path, "id"), "expected a string or number, found \(other.kindName)")
        }
        var properties: JSONValue?
        switch value["properties"] {
        case nil, .null?: properties = nil
        case .object(let members)?: properties = .object(members)
        case let other?:
            throw fail(.wrongType, join(path, "properties"), "expected an object or null, found \(other.kindName)")
        }
        let geometryValue = try member("geometry", of: value, path: path)
        let geometry: Geometry? =
            geometryValue == .null ? nil : try self.geometry(geometryValue, path: join(path, "geometry"))
        return Feature(id: id, geometry: geometry, properties: properties, bbox: try bbox(value, path: path))
    }

    func bbox(_ value: JSONValue, path: String) throws(GeoJSONError) -> [Double]? {
        guard let b = value["bbox"] else { return nil }
        let p = join(path, "bbox")
        guard case .array(let items) = b, items.count == 4 || items.count == 6 else {
            throw fail(.wrongType, p, "expected an array of 4 or 6 numbers")
        }
        var numbers: [Double] = []
        for item in items {
            guard case .number(let n) = item else { throw fail(.wrongType, p, "expected numbers") }
            numbers.append(n)
        }
        return numbers
    }

    mutating func geometry(_ value: JSONValue, path: String) throws(GeoJSONError) -> Geometry {
        guard case .object = value else {
            throw fail(.wrongType, path, "expected a geometry object, found \(value.kindName)")
        }
        let type = try typeName(value, path: path)
        if type == "GeometryCollection" {
            let p = join(path, "geometries")
            guard case .array(let items) = try member("geometries", of: value, path: path) else {
                throw fail(.wrongType, p, "expected an array of geometries")
            }
            var parts: [Geometry] = []
            for (i, item) in items.enumerated() {
                parts.append(try geometry(item, path: "\(p)[\(i)]"))
            }
            return .geometryCollection(parts)
        }
        let p = join(path, "coordinates")
        let c = try member("coordinates", of: value, path: path)
        switch type {
        case "Point": return .point(try position(c, path: p))
        case "MultiPoint": return .multiPoint(try positions(c, path: p))
        case "LineString": return .lineString(LineString(try positions(c, path: p)))
        case "MultiLineString": return .multiLineString(try rings(c, path: p).map(LineString.init))
        case "Polygon": return .polygon(Polygon(try rings(c, path: p)))
        case "MultiPolygon":
            guard case .array(let items) = c else {
                throw fail(.invalidCoordinates, p, "expected an array of polygons")
            }
            var polygons: [Polygon] = []
            polygons.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                polygons.append(Polygon(try rings(item, path: "\(p)[\(i)]")))
            }
            return .multiPolygon(polygons)
        case "Feature", "FeatureCollection":
            throw fail(.unknownType, join(path, "type"), "expected a geometry, found a \(type)")
        default:
            throw fail(.unknownType, join(path, "type"), "\"\(type)\" is not a GeoJSON geometry type")
        }
    }

    func position(_ value: JSONValue, path: String) throws(GeoJSONError) -> Position {
        guard case .array(let items) = value else {
            throw fail(.invalidCoordinates, path, "expected a position [longitude, latitude], found \(value.kindName)")
        }
        guard items.count >= 2 else {
            throw fail(.invalidCoordinates, path, "a position needs at least 2 numbers, found \(items.count)")
        }
        guard case .number(let x) = items[0], case .number(let y) = items[1] else {
            throw fail(.invalidCoordinates, path, "position members must be numbers")
        }
        for i in 2..<items.count {
            guard case .number = items[i] else {
                throw fail(.invalidCoordinates, path, "position members must be numbers")
            }
        }
        return Position(longitude: x, latitude: y)
    }

    func positions(_ value: JSONValue, path: String) throws(GeoJSONError) -> [Position] {
        guard case .array(let items) = value else {
            throw fail(.invalidCoordinates, path, "expected an array of positions, found \(value.kindName)")
        }
        var result: [Position] = []
        result.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            result.append(try position(item, path: "\(path)[\(i)]"))
        }
        return result
    }

    func rings(_ value: JSONValue, path: String) throws(GeoJSONError) -> [[Position]] {
        guard case .array(let items) = value else {
            throw fail(.invalidCoordinates, path, "expected an array of position arrays, found \(value.kindName)")
        }
        var result: [[Position]] = []
        result.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            result.append(try positions(item, path: "\(path)[\(i)]"))
        }
        return result
    }
}
