import Foundation
import TesseraGrids

/// The latitude/longitude bounds of positions on a partition grid's curve: what region a partition
/// covers, for the API's `bbox`.
///
/// A range of positions is cut into maximal aligned cells (a block of level `L` is one cell when it
/// starts at a multiple of the cell size and ends within the range), coarsest first, from level 0 to
/// the grid's finest level; an end that falls inside a finest cell counts that whole cell. Holes of
/// the H3 curve (digit 7, a pentagon's deleted subsequence) have no cell and no area. The cells'
/// bounds are unioned: S2 cells by their `rectBound`, H3 cells by their boundary's vertices and the
/// geodesic edges between them (an edge can bulge poleward of its vertices), with the pole's cell
/// reaching the pole at every longitude. H3 cells do not nest exactly, so a coarse H3 cell standing
/// for its descendants makes the box approximate by a fraction of that cell's edge.
enum PartitionBounds {
    /// A bounding box in degrees, RFC 7946 §5 order. `west > east` when it crosses the antimeridian
    /// (§5.2); a box around a pole runs from -180 to 180.
    struct Box: Hashable, Sendable {
        var west: Double
        var south: Double
        var east: Double
        var north: Double
    }

    /// A cell of a decomposition: its first position and level.
    struct Cell: Hashable, Sendable {
        var start: UInt64
        var level: Int
    }

    /// Past this many cells for one range, the rest of the range is covered by level-0 cells
    /// (S2 faces, H3 base cells): a coarser box, but bounded work. A range that starts and ends on
    /// cell boundaries needs a few hundred cells at most (seven per level and end for H3).
    static let cellLimit = 1024

    /// The box around every position of `ranges` that has a cell; nil when none has one.
    static func box(of ranges: [ClosedRange<UInt64>], grid: PartitionGrid) -> Box? {
        var union = Union()
        for range in ranges {
            for cell in cells(range, grid: grid) { union.add(bounds(of: cell, grid: grid)) }
        }
        return union.box
    }

    /// The maximal aligned cells of `range`, in curve order, holes left out.
    static func cells(_ range: ClosedRange<UInt64>, grid: PartitionGrid, limit: Int = cellLimit) -> [Cell] {
        guard grid.positionLimit > 0, range.lowerBound < grid.positionLimit else { return [] }
        let end = min(range.upperBound, grid.positionLimit - 1)
        var out: [Cell] = []
        var position = range.lowerBound
        while true {
            var level = grid.finestLevel
            if out.count >= limit {
                level = 0
            } else {
                for candidate in 0...grid.finestLevel {
                    let mask = grid.mask(at: candidate)
                    if position & mask == 0, position | mask <= end {
                        level = candidate
                        break
                    }
                }
            }
            if hasCell(at: position, level: level, grid: grid) {
                out.append(Cell(start: grid.cellStart(position, level: level), level: level))
            }
            let last = grid.cellEnd(position, level: level)
            if last >= end { break }
            position = last + 1
        }
        return out
    }

    static func hasCell(at position: UInt64, level: Int, grid: PartitionGrid) -> Bool {
        switch grid.system {
        case .h3: grid.h3Cell(at: position, level: level) != nil
        case .s2: grid.s2Cell(at: position, level: level) != nil
        }
    }

    // MARK: - One cell

    /// The bounds of one cell: a latitude interval and a longitude interval (`west > east` wraps).
    struct Bounds: Hashable, Sendable {
        var south: Double
        var north: Double
        var west: Double
        var east: Double

        var isFullLongitude: Bool { west == -180 && east == 180 }
    }

    static func bounds(of cell: Cell, grid: PartitionGrid) -> Bounds {
        switch grid.system {
        case .s2:
            guard let id = grid.s2Cell(at: cell.start, level: cell.level) else { return .empty }
            let rect = S2Cell(id).rectBound
            return Bounds(south: rect.south, north: rect.north, west: rect.west, east: rect.east)
        case .h3:
            guard let h3 = grid.h3Cell(at: cell.start, level: cell.level) else { return .empty }
            // A block of the curve stands for its descendants: it reaches a pole when the pole's
            // finest cell is one of them, even where H3's inexact nesting puts the pole just
            // outside the block's own cell.
            let block = cell.start...grid.cellEnd(cell.start, level: cell.level)
            return bounds(
                of: h3,
                north: northPolePosition.map(block.contains) ?? false,
                south: southPolePosition.map(block.contains) ?? false
            )
        }
    }

    /// An H3 cell's bounds from its boundary: the vertices, the poleward bulge of each geodesic edge,
    /// and the full longitude range for the cell containing a pole (or said to reach one).
    static func bounds(of cell: H3Cell, north reachesNorth: Bool = false, south reachesSouth: Bool = false) -> Bounds {
        let points = cell.boundary.compactMap { vertex in
            // Clamped: a vertex computed in radians can land an ulp outside the degree ranges.
            let latitude = min(90, max(-90, vertex.latitude))
            let longitude = min(180, max(-180, vertex.longitude))
            return (try? S2LatLng(latitude: latitude, longitude: longitude))?.point
        }
        guard !points.isEmpty else { return .empty }
        var south = Double.infinity
        var north = -Double.infinity
        for (k, a) in points.enumerated() {
            let (low, high) = latitudeRange(a, points[(k + 1) % points.count])
            south = min(south, low)
            north = max(north, high)
        }
        let resolution = cell.resolution.value
        if reachesNorth || cell == northPoleCells[resolution] {
            return Bounds(south: max(-90, south), north: 90, west: -180, east: 180)
        }
        if reachesSouth || cell == southPoleCells[resolution] {
            return Bounds(south: -90, north: min(90, north), west: -180, east: 180)
        }
        // Without a pole the cell spans less than half the world's longitude, and its edges are
        // monotone in longitude: the shortest interval holding the vertices' longitudes bounds it.
        let (west, east) = shortestInterval(points.map { atan2($0.y, $0.x) * 180 / Double.pi })
        return Bounds(south: max(-90, south), north: min(90, north), west: west, east: east)
    }

    /// The curve positions of the poles' finest H3 cells.
    static let northPolePosition = try? PartitionGrid(.h3, level: 0).position(latitude: 90, longitude: 0)
    static let southPolePosition = try? PartitionGrid(.h3, level: 0).position(latitude: -90, longitude: 0)

    /// The H3 cells containing the poles, by resolution.
    static let northPoleCells: [H3Cell] = poleCells(latitude: 90)
    static let southPoleCells: [H3Cell] = poleCells(latitude: -90)

    static func poleCells(latitude: Double) -> [H3Cell] {
        (0...15).compactMap { resolution in
            guard let pole = try? H3LatLng(latitude: latitude, longitude: 0),
                let level = try? H3Resolution(resolution)
            else { return nil }
            return pole.cell(at: level)
        }
    }

    /// The latitude range (degrees) of the geodesic arc from `a` to `b` (unit vectors less than 180°
    /// apart): its ends, and the great circle's extreme latitude when that lies on the arc.
    static func latitudeRange(_ a: S2Point, _ b: S2Point) -> (Double, Double) {
        let la = S2LatLng(a).latitude
        let lb = S2LatLng(b).latitude
        var low = min(la, lb)
        var high = max(la, lb)
        let n = a.cross(b)
        let nn = n.dot(n)
        guard nn > 0 else { return (low, high) }
        // The great circle's northernmost point: the pole minus its component along the normal.
        let top = S2Point(x: 0, y: 0, z: 1) - n * (n.z / nn)
        guard top.norm > 0 else { return (low, high) }
        for extreme in [top.normalized, -top.normalized]
        where a.cross(extreme).dot(n) > 0 && extreme.cross(b).dot(n) > 0 {
            let latitude = S2LatLng(extreme).latitude
            low = min(low, latitude)
            high = max(high, latitude)
        }
        return (low, high)
    }

    /// The shortest longitude interval holding every one of `longitudes` (degrees in [-180, 180]):
    /// the complement of the widest gap between neighbours on the circle; `west > east` when it
    /// wraps across the antimeridian.
    static func shortestInterval(_ longitudes: [Double]) -> (west: Double, east: Double) {
        let sorted = longitudes.sorted()
        guard let first = sorted.first, let last = sorted.last else { return (0, 0) }
        var widest = first + 360 - last
        var west = first
        var east = last
        for k in sorted.indices.dropLast() where sorted[k + 1] - sorted[k] > widest {
            widest = sorted[k + 1] - sorted[k]
            west = sorted[k + 1]
            east = sorted[k]
        }
        return (west, east)
    }

    // MARK: - The union

    /// The union of cell bounds: latitudes by their extremes, longitudes as intervals on the circle,
    /// boxed by the complement of the widest gap none of them covers.
    struct Union {
        var south = Double.infinity
        var north = -Double.infinity
        /// Longitude intervals that do not wrap, `west <= east`.
        var intervals: [(west: Double, east: Double)] = []

        mutating func add(_ b: Bounds) {
            guard b.south <= b.north else { return }
            south = min(south, b.south)
            north = max(north, b.north)
            if b.west <= b.east {
                intervals.append((b.west, b.east))
            } else {
                intervals.append((b.west, 180))
                intervals.append((-180, b.east))
            }
        }

        var box: Box? {
            guard south <= north, !intervals.isEmpty else { return nil }
            var merged: [(west: Double, east: Double)] = []
            for interval in intervals.sorted(by: { $0.west < $1.west }) {
                if let last = merged.last, interval.west <= last.east {
                    merged[merged.count - 1].east = max(last.east, interval.east)
                } else {
                    merged.append(interval)
                }
            }
            // The gap across the antimeridian, then the gaps between neighbours: the box leaves
            // out the widest.
            var widest = merged[0].west + 360 - merged[merged.count - 1].east
            var west = merged[0].west
            var east = merged[merged.count - 1].east
            for k in merged.indices.dropLast() where merged[k + 1].west - merged[k].east > widest {
                widest = merged[k + 1].west - merged[k].east
                west = merged[k + 1].west
                east = merged[k].east
            }
            if widest <= 0 { (west, east) = (-180, 180) }
            return Box(west: west, south: south, east: east, north: north)
        }
    }
}

extension PartitionBounds.Bounds {
    /// The bounds of nothing (a hole): the union ignores them.
    static let empty = PartitionBounds.Bounds(south: .infinity, north: -.infinity, west: 0, east: 0)
}
