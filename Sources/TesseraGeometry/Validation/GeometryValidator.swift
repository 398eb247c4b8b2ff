import CGEOS

/// Checks geometries for validity, repairs and normalises them, with GEOS behind it.
///
/// ``validate(_:)`` first checks what GEOS cannot even build — non-finite or out-of-range
/// coordinates, too few points, unclosed rings — and reports every such problem with its
/// path; a geometry that passes is then checked by GEOS (`GEOSisValidDetail`), whose reason
/// and location are reported as they are.
///
/// Owns a GEOS context, which is not thread-safe: use one validator per task.
public final class GeometryValidator {
    let context = GEOSContext()

    public init() {}

    /// Every problem found; an empty array means valid.
    public func validate(_ geometry: Geometry) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        Self.checkStructure(geometry, path: "", into: &issues)
        if !issues.isEmpty { return issues }
        let h = context.handle
        let geom: OpaquePointer
        do {
            geom = try context.geometry(from: geometry)
        } catch {
            return [ValidationIssue(code: .topology, reason: error.reason, path: "", location: nil)]
        }
        defer { GEOSGeom_destroy_r(h, geom) }
        var reason: UnsafeMutablePointer<CChar>?
        var location: OpaquePointer?
        let valid = GEOSisValidDetail_r(h, geom, 0, &reason, &location)
        defer {
            if let reason { GEOSFree_r(h, reason) }
            if let location { GEOSGeom_destroy_r(h, location) }
        }
        switch valid {
        case 1:
            return []
        case 0:
            var at: Position?
            var x = 0.0
            var y = 0.0
            if let location, GEOSGeomGetX_r(h, location, &x) == 1, GEOSGeomGetY_r(h, location, &y) == 1 {
                at = Position(longitude: x, latitude: y)
            }
            return [
                ValidationIssue(
                    code: .topology,
                    reason: reason.map { String(cString: $0) } ?? "invalid",
                    path: "",
                    location: at
                )
            ]
        default:
            return [ValidationIssue(code: .topology, reason: context.takeError(), path: "", location: nil)]
        }
    }

    /// A valid version of `geometry` (GEOS `MakeValid`), with unclosed rings closed first.
    /// - Throws: ``GeometryOperationError`` when coordinates are non-finite or out of range, or GEOS fails.
    public func repaired(_ geometry: Geometry) throws(GeometryOperationError) -> Geometry {
        let closed = Self.closingRings(geometry)
        var issues: [ValidationIssue] = []
        Self.checkStructure(closed, path: "", into: &issues)
        if let blocking = issues.first(where: { $0.code != .tooFewPoints }) {
            throw GeometryOperationError(reason: "cannot repair: \(blocking)")
        }
        let h = context.handle
        let cleaned = Self.droppingDegenerateParts(closed)
        let geom = try context.geometry(from: cleaned)
        defer { GEOSGeom_destroy_r(h, geom) }
        guard let fixed = GEOSMakeValid_r(h, geom) else { throw GeometryOperationError(reason: context.takeError()) }
        defer { GEOSGeom_destroy_r(h, fixed) }
        return try context.model(of: fixed)
    }

    /// The GEOS normal form: rings start at a canonical vertex with canonical orientation,
    /// parts sorted. Two geometries with the same normal form are the same point set drawn
    /// the same way, which is what duplicate detection compares.
    public func normalized(_ geometry: Geometry) throws(GeometryOperationError) -> Geometry {
        let h = context.handle
        let geom = try context.geometry(from: geometry)
        defer { GEOSGeom_destroy_r(h, geom) }
        guard GEOSNormalize_r(h, geom) == 0 else { throw GeometryOperationError(reason: context.takeError()) }
        return try context.model(of: geom)
    }

    // MARK: - Structural checks

    static func checkStructure(_ g: Geometry, path: String, into issues: inout [ValidationIssue]) {
        func join(_ s: String) -> String { path.isEmpty ? s : "\(path).\(s)" }
        switch g {
        case .point(let p):
            check(p, path: join("coordinates"), into: &issues)
        case .multiPoint(let ps):
            for (i, p) in ps.enumerated() { check(p, path: join("coordinates[\(i)]"), into: &issues) }
        case .lineString(let l):
            checkLine(l.positions, path: join("coordinates"), into: &issues)
        case .multiLineString(let ls):
            for (i, l) in ls.enumerated() { checkLine(l.positions, path: join("coordinates[\(i)]"), into: &issues) }
        case .polygon(let poly):
            checkPolygon(poly, path: join("coordinates"), into: &issues)
        case .multiPolygon(let polys):
            for (i, poly) in polys.enumerated() { checkPolygon(poly, path: join("coordinates[\(i)]"), into: &issues) }
        case .geometryCollection(let gs):
            for (i, part) in gs.enumerated() { checkStructure(part, path: join("geometries[\(i)]"), into: &issues) }
        }
    }

    static func check(_ p: Position, path: String, into issues: inout [ValidationIssue]) {
        if !p.longitude.isFinite || !p.latitude.isFinite {
            issues.append(
                ValidationIssue(code: .nonFinite, reason: "coordinate is not finite", path: path, location: p)
            )
            return
        }
        if !(-180...180).contains(p.longitude) {
            issues.append(
                ValidationIssue(
                    code: .longitudeOutOfRange,
                    reason: "longitude \(p.longitude) is outside [-180, 180]",
                    path: path,
                    location: p
                )
            )
        }
        if !(-90...90).contains(p.latitude) {
            issues.append(
                ValidationIssue(
                    code: .latitudeOutOfRange,
                    reason: "latitude \(p.latitude) is outside [-90, 90]",
                    path: path,
                    location: p
                )
            )
        }
    }

    static func checkLine(_ ps: [Position], path: String, into issues: inout [ValidationIssue]) {
        for (i, p) in ps.enumerated() { check(p, path: "\(path)[\(i)]", into: &issues) }
        if ps.count < 2 {
            issues.append(
                ValidationIssue(
                    code: .tooFewPoints,
                    reason: "a line needs at least 2 positions, has \(ps.count)",
                    path: path,
                    location: ps.first
                )
            )
        }
    }

    static func checkPolygon(_ poly: Polygon, path: String, into issues: inout [ValidationIssue]) {
        for (r, ring) in poly.rings.enumerated() {
            let ringPath = "\(path)[\(r)]"
            for (i, p) in ring.enumerated() { check(p, path: "\(ringPath)[\(i)]", into: &issues) }
            if ring.count < 4 {
                issues.append(
                    ValidationIssue(
                        code: .tooFewPoints,
                        reason: "a ring needs at least 4 positions, has \(ring.count)",
                        path: ringPath,
                        location: ring.first
                    )
                )
            } else if ring.first != ring.last {
                issues.append(
                    ValidationIssue(
                        code: .unclosedRing,
                        reason: "ring is not closed",
                        path: ringPath,
                        location: ring.last
                    )
                )
            }
        }
    }

    // MARK: - Repair helpers

    static func closingRings(_ g: Geometry) -> Geometry {
        func close(_ poly: Polygon) -> Polygon {
            Polygon(
                poly.rings.map { ring in
                    guard let first = ring.first, ring.last != first else { return ring }
                    return ring + [first]
                }
            )
        }
        switch g {
        case .polygon(let p): return .polygon(close(p))
        case .multiPolygon(let ps): return .multiPolygon(ps.map(close))
        case .geometryCollection(let gs): return .geometryCollection(gs.map(closingRings))
        default: return g
        }
    }

    /// Drops lines of fewer than 2 and rings of fewer than 4 positions, which GEOS cannot build.
    static func droppingDegenerateParts(_ g: Geometry) -> Geometry {
        func clean(_ poly: Polygon) -> Polygon? {
            guard let shell = poly.rings.first, shell.count >= 4 else { return nil }
            return Polygon([shell] + poly.rings.dropFirst().filter { $0.count >= 4 })
        }
        switch g {
        case .lineString(let l) where l.positions.count < 2:
            return .geometryCollection([])
        case .multiLineString(let ls):
            return .multiLineString(ls.filter { $0.positions.count >= 2 })
        case .polygon(let p):
            return clean(p).map(Geometry.polygon) ?? .geometryCollection([])
        case .multiPolygon(let ps):
            return .multiPolygon(ps.compactMap(clean))
        case .geometryCollection(let gs):
            return .geometryCollection(gs.map(droppingDegenerateParts))
        default:
            return g
        }
    }
}
