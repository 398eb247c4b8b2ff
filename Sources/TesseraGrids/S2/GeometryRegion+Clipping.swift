/// What a region looks like inside one cell: the parts that reach into it and the polygons
/// containing its centre. Computed for a child from its parent's, so that descending the cell
/// hierarchy only ever looks at the edges near the current cell.
struct S2ClippedRegion {
    /// The cell.
    let cell: S2Cell
    /// Indices of the region's edges that may touch the cell.
    var edges: [Int32]
    /// Indices of the point parts inside the cell.
    var points: [Int32]
    /// Polygons whose interior contains the cell's centre, ascending.
    var inside: [Int32]

    /// True when some part of the region may intersect the cell.
    var mayIntersect: Bool { !edges.isEmpty || !points.isEmpty || !inside.isEmpty }

    /// True when the cell lies entirely inside one of the region's polygons.
    func isContained(in region: S2GeometryRegion) -> Bool {
        for polygon in inside {
            if !edges.contains(where: { region.edges[Int($0)].polygon == polygon }) { return true }
        }
        return false
    }
}

extension S2GeometryRegion {
    /// The cell's four vertices (unit points) and a test of whether an edge may touch the cell.
    private struct CellShape {
        let cell: S2Cell
        let v: (S2Point, S2Point, S2Point, S2Point)

        init(_ cell: S2Cell) {
            self.cell = cell
            v = (cell.vertex(0), cell.vertex(1), cell.vertex(2), cell.vertex(3))
        }

        /// True when edge `ab` may touch the cell: an endpoint inside, or crossing (or too close
        /// to call against) one of the cell's four geodesic edges.
        func mayTouch(_ a: S2Point, _ b: S2Point) -> Bool {
            if cell.contains(a) || cell.contains(b) { return true }
            if S2EdgeTests.crossing(a, b, v.0, v.1) != .none { return true }
            if S2EdgeTests.crossing(a, b, v.1, v.2) != .none { return true }
            if S2EdgeTests.crossing(a, b, v.2, v.3) != .none { return true }
            return S2EdgeTests.crossing(a, b, v.3, v.0) != .none
        }
    }

    /// The region clipped to `cell` from scratch (O(size of the region)).
    func clipped(to cell: S2Cell) -> S2ClippedRegion {
        let shape = CellShape(cell)
        var edgeList: [Int32] = []
        for (k, e) in edges.enumerated() where shape.mayTouch(e.a, e.b) { edgeList.append(Int32(k)) }
        var pointList: [Int32] = []
        for (k, p) in points.enumerated() where cell.id.contains(p) { pointList.append(Int32(k)) }
        let center = cell.center
        var inside: [Int32] = []
        for polygon in polygonEdges.indices where polygonContains(polygon, center) { inside.append(Int32(polygon)) }
        return S2ClippedRegion(cell: cell, edges: edgeList, points: pointList, inside: inside)
    }

    /// The region clipped to `child`, a descendant of `parent.cell`.
    ///
    /// Polygon containment of the child's centre follows from the parent's centre by counting
    /// crossings along the geodesic between the two centres; only edges touching the parent can
    /// cross it, since cells are convex. A degenerate crossing falls back to the winding number.
    func clipped(to child: S2Cell, from parent: S2ClippedRegion) -> S2ClippedRegion {
        let shape = CellShape(child)
        var edgeList: [Int32] = []
        edgeList.reserveCapacity(parent.edges.count)
        for k in parent.edges where shape.mayTouch(edges[Int(k)].a, edges[Int(k)].b) { edgeList.append(k) }
        var pointList: [Int32] = []
        for k in parent.points where child.id.contains(points[Int(k)]) { pointList.append(k) }

        var inside = parent.inside
        if !polygonEdges.isEmpty && !parent.edges.isEmpty {
            let from = parent.cell.center
            let to = child.center
            var flipped: [Int32] = []
            var uncertain: [Int32] = []
            for k in parent.edges {
                let e = edges[Int(k)]
                guard e.polygon >= 0 else { continue }
                switch S2EdgeTests.crossing(from, to, e.a, e.b) {
                case .none: break
                case .proper: flipped.append(e.polygon)
                case .uncertain: uncertain.append(e.polygon)
                }
            }
            if !flipped.isEmpty || !uncertain.isEmpty {
                var set = Set(inside)
                var counts: [Int32: Int] = [:]
                for p in flipped { counts[p, default: 0] += 1 }
                for (p, n) in counts where n % 2 == 1 && !uncertain.contains(p) {
                    if set.contains(p) { set.remove(p) } else { set.insert(p) }
                }
                for p in Set(uncertain) {
                    if polygonContains(Int(p), to) { set.insert(p) } else { set.remove(p) }
                }
                inside = set.sorted()
            }
        }
        return S2ClippedRegion(cell: child, edges: edgeList, points: pointList, inside: inside)
    }
}
