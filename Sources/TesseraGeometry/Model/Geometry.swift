/// A line of two or more positions.
public struct LineString: Hashable, Sendable {
    public var positions: [Position]

    @inlinable
    public init(_ positions: [Position]) { self.positions = positions }
}

/// A polygon: one exterior ring followed by zero or more holes.
///
/// Rings are closed (first position equals last) when the polygon is valid;
/// ``GeometryValidator`` reports unclosed rings instead of silently closing them.
public struct Polygon: Hashable, Sendable {
    /// `rings[0]` is the exterior ring, the rest are holes.
    public var rings: [[Position]]

    @inlinable
    public init(_ rings: [[Position]]) { self.rings = rings }

    /// The exterior ring, or an empty array for an empty polygon.
    @inlinable
    public var exterior: [Position] { rings.first ?? [] }

    /// The holes (interior rings).
    @inlinable
    public var holes: ArraySlice<[Position]> { rings.dropFirst() }
}

/// A geometry in WGS84 longitude/latitude, with the seven GeoJSON types.
public indirect enum Geometry: Hashable, Sendable {
    case point(Position)
    case multiPoint([Position])
    case lineString(LineString)
    case multiLineString([LineString])
    case polygon(Polygon)
    case multiPolygon([Polygon])
    case geometryCollection([Geometry])

    /// The GeoJSON type name ("Point", "MultiPolygon", ...).
    public var typeName: String {
        switch self {
        case .point: "Point"
        case .multiPoint: "MultiPoint"
        case .lineString: "LineString"
        case .multiLineString: "MultiLineString"
        case .polygon: "Polygon"
        case .multiPolygon: "MultiPolygon"
        case .geometryCollection: "GeometryCollection"
        }
    }

    /// True when the geometry has no positions at all (e.g. `GEOMETRYCOLLECTION EMPTY`).
    public var isEmpty: Bool {
        var empty = true
        forEachPosition { _ in empty = false }
        return empty
    }

    /// Calls `body` with every position, in storage order.
    @inlinable
    public func forEachPosition(_ body: (Position) throws -> Void) rethrows {
        switch self {
        case .point(let p):
            try body(p)
        case .multiPoint(let ps):
            for p in ps { try body(p) }
        case .lineString(let l):
            for p in l.positions { try body(p) }
        case .multiLineString(let ls):
            for l in ls { for p in l.positions { try body(p) } }
        case .polygon(let poly):
            for ring in poly.rings { for p in ring { try body(p) } }
        case .multiPolygon(let polys):
            for poly in polys { for ring in poly.rings { for p in ring { try body(p) } } }
        case .geometryCollection(let gs):
            for g in gs { try g.forEachPosition(body) }
        }
    }

    /// The smallest longitude/latitude box holding every position, or nil when empty.
    public var boundingBox: BoundingBox? {
        var box: BoundingBox?
        forEachPosition { p in
            if box == nil {
                box = BoundingBox(west: p.longitude, south: p.latitude, east: p.longitude, north: p.latitude)
            } else {
                box!.extend(with: p)
            }
        }
        return box
    }
}
