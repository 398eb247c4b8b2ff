/// A GeoJSON Feature identifier: a string or a number (RFC 7946 §3.2).
public enum FeatureID: Hashable, Sendable {
    case string(String)
    case number(Double)
}

/// A GeoJSON Feature. `geometry` is nil for an unlocated feature (`"geometry": null`).
public struct Feature: Hashable, Sendable {
    public var id: FeatureID?
    public var geometry: Geometry?
    /// The "properties" object, or nil when it was null or absent.
    public var properties: JSONValue?
    public var bbox: [Double]?

    public init(id: FeatureID? = nil, geometry: Geometry?, properties: JSONValue? = nil, bbox: [Double]? = nil) {
        self.id = id
        self.geometry = geometry
        self.properties = properties
        self.bbox = bbox
    }
}

/// Any GeoJSON document: a bare geometry, a Feature or a FeatureCollection.
public enum GeoJSONObject: Hashable, Sendable {
    case geometry(Geometry)
    case feature(Feature)
    case featureCollection([Feature])

    /// Every geometry in the document, in order; features without geometry are skipped.
    public var geometries: [Geometry] {
        switch self {
        case .geometry(let g): [g]
        case .feature(let f): f.geometry.map { [$0] } ?? []
        case .featureCollection(let fs): fs.compactMap(\.geometry)
        }
    }
}
