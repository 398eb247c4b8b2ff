import TesseraCapture
import TesseraCatalog
import TesseraGeometry
import TesseraGrids

/// What one change does to one layer: the stale tiles at each of the layer's zooms.
public struct LayerEffect: Sendable {
    public let layer: String
    public let tiles: [TileSet]
    public let bbox: BoundingBox?
    public let fullExtent: Bool
    public let atMilliseconds: Int64
}

/// Turns captured changes into tile effects: decodes EWKB, validates, skips no-ops, and
/// covers old ∪ new at every zoom of every layer the change feeds.
///
/// Invalid geometries are reported for quarantine with GEOS's reason. When their
/// coordinates are finite their tiles are still invalidated — from the GEOS-repaired shape,
/// which keeps every original vertex, so whatever a tile server drew is purged; a geometry
/// with NaN or infinite coordinates has no tiles and is only quarantined.
///
/// Owns a GEOS context: one per task.
public final class ChangeEffects {
    let validator = GeometryValidator()

    public init() {}

    public struct Outcome: Sendable {
        public var effects: [LayerEffect] = []
        /// Set when the change must be quarantined: the reason and, when known, where.
        public var quarantine: (reason: String, location: String?)?
        /// The kind of the first problem behind ``quarantine``, a small fixed set for metrics:
        /// `undecodable`, a ``ValidationIssue/Code`` (`topology`, `nonFinite`…), or `uncoverable`.
        public var quarantineClass: String?
        /// Geometries (old and new count apart) that failed validation.
        public var invalidGeometries = 0
        /// True for an update that changed nothing that renders.
        public var skipped = false
    }

    public func outcome(of change: Change, layers: [String: Layer]) -> Outcome {
        var outcome = Outcome()
        if change.operation == .truncate {
            for name in change.layers {
                guard layers[name] != nil else { continue }
                outcome.effects.append(
                    LayerEffect(
                        layer: name,
                        tiles: [],
                        bbox: nil,
                        fullExtent: true,
                        atMilliseconds: change.capturedAtMilliseconds
                    )
                )
            }
            return outcome
        }
        if change.isNoOp {
            outcome.skipped = true
            return outcome
        }
        var shapes: [Geometry] = []
        var problems: [String] = []
        var location: String?
        for (label, bytes) in [("old", change.oldEWKB), ("new", change.newEWKB)] {
            guard let bytes else { continue }
            let geometry: Geometry
            do {
                geometry = try WKB.decode(bytes).geometry
            } catch {
                problems.append("\(label) geometry: \(error)")
                outcome.quarantineClass = outcome.quarantineClass ?? "undecodable"
                continue
            }
            let issues = validator.validate(geometry)
            if issues.isEmpty {
                shapes.append(geometry)
                continue
            }
            problems.append("\(label) geometry: " + issues.map(\.description).joined(separator: "; "))
            outcome.invalidGeometries += 1
            outcome.quarantineClass = outcome.quarantineClass ?? issues[0].code.description
            if location == nil, let at = issues.first?.location { location = "POINT(\(at.longitude) \(at.latitude))" }
            guard issues.allSatisfy({ $0.code != .nonFinite }) else { continue }
            shapes.append((try? validator.repaired(geometry)) ?? geometry)
        }
        if !problems.isEmpty {
            outcome.quarantine = (problems.joined(separator: " | "), location)
        }
        guard !shapes.isEmpty else { return outcome }
        var bbox: BoundingBox?
        for s in shapes {
            if let b = s.boundingBox { bbox = bbox.map { $0.union(b) } ?? b }
        }
        for name in change.layers {
            guard let layer = layers[name] else { continue }
            do {
                let tiles = try TileCover(layer.tileMatrixSet).cover(shapes, zooms: layer.zooms, buffer: layer.buffer)
                outcome.effects.append(
                    LayerEffect(
                        layer: name,
                        tiles: tiles,
                        bbox: bbox,
                        fullExtent: false,
                        atMilliseconds: change.capturedAtMilliseconds
                    )
                )
            } catch {
                let reason = "cannot cover for layer \(name): \(error)"
                outcome.quarantineClass = outcome.quarantineClass ?? "uncoverable"
                outcome.quarantine = (outcome.quarantine.map { $0.reason + " | " + reason } ?? reason, location)
            }
        }
        return outcome
    }
}
