import Foundation
import TesseraGeometry
import Testing

@testable import TesseraGrids

/// Coverings compared with s2geometry's S2RegionCoverer on the shapes in `grids/s2/coverings.json`.
@Suite struct S2RegionCovererTests {
    struct Case {
        var geometry: Geometry
        var geometryJSON: [String: Any]
        var typeName: String
        var options: S2RegionCoverer.Options
        var covering: [S2CellID]
        var coveringArea: Double
        var interior: [S2CellID]
        var fixedLevel: S2Level
        /// The reference coverer's cells at ``fixedLevel`` (a superset of the touching cells).
        var fixed: [S2CellID]
        /// The cells at ``fixedLevel`` that truly intersect the shape (exact boolean operations).
        var fixedExact: [S2CellID]
        /// Those of ``fixedExact`` not entirely inside the shape.
        var fixedBoundary: [S2CellID]
        var samples: [S2LatLng]
    }

    static func cases() throws -> [Case] {
        let json = try JSONSerialization.jsonObject(with: S2ReferenceData.committed("grids/s2/coverings.json"))
        let list = try #require(json as? [[String: Any]])
        return try list.map { item in
            let g = try #require(item["geometry"] as? [String: Any])
            let o = try #require(item["options"] as? [String: Int])
            func ids(_ key: String) throws -> [S2CellID] {
                try #require(item[key] as? [String]).map { S2CellID(id: UInt64($0)!) }
            }
            let samples = try #require(item["samples"] as? [[Double]]).map {
                try S2LatLng(latitude: $0[0], longitude: $0[1])
            }
            return Case(
                geometry: try geometry(g),
                geometryJSON: g,
                typeName: g["type"] as! String,
                options: try S2RegionCoverer.Options(
                    minLevel: o["min_level"]!,
                    maxLevel: o["max_level"]!,
                    maxCells: o["max_cells"]!,
                    levelMod: o["level_mod"]!
                ),
                covering: try ids("covering"),
                coveringArea: try #require(item["covering_area"] as? Double),
                interior: try ids("interior"),
                fixedLevel: try S2Level(try #require(item["fixed_level"] as? Int)),
                fixed: try ids("fixed"),
                fixedExact: try ids("fixed_exact"),
                fixedBoundary: try ids("fixed_boundary"),
                samples: samples
            )
        }
    }

    /// A small GeoJSON geometry reader for the test vectors (the product uses the GeoJSON module).
    static func geometry(_ g: [String: Any]) throws -> Geometry {
        func position(_ a: Any) throws -> Position {
            let c = try #require(a as? [Double])
            return Position(longitude: c[0], latitude: c[1])
        }
        func positions(_ a: Any) throws -> [Position] { try #require(a as? [Any]).map(position) }
        func rings(_ a: Any) throws -> [[Position]] { try #require(a as? [Any]).map(positions) }
        let c = g["coordinates"]!
        switch g["type"] as? String {
        case "Point": return .point(try position(c))
        case "MultiPoint": return .multiPoint(try positions(c))
        case "LineString": return .lineString(LineString(try positions(c)))
        case "MultiLineString": return .multiLineString(try rings(c).map(LineString.init))
        case "Polygon": return .polygon(Polygon(try rings(c)))
        case "MultiPolygon": return .multiPolygon(try #require(c as? [Any]).map { Polygon(try rings($0)) })
        default: throw S2Error(.invalidGeometry, "unknown type")
        }
    }

    /// True when the union of `cells` (sorted) contains `cell`.
    static func unionContains(_ cells: [S2CellID], _ cell: S2CellID) -> Bool {
        cells.contains { $0.contains(cell) }
    }

    /// Our covering for the case; multi-lines and multi-points are covered part by part and
    /// merged, as the reference (which has no union region in Python) was.
    static func ourCovering(_ c: Case, interior: Bool = false) throws -> [S2CellID] {
        let coverer = S2RegionCoverer(options: c.options)
        let parts: [Geometry]
        switch c.geometry {
        case .multiLineString(let lines): parts = lines.map { .lineString($0) }
        case .multiPoint(let points): parts = points.map { .point($0) }
        default: parts = [c.geometry]
        }
        var cells: [S2CellID] = []
        for part in parts {
            let region = try S2GeometryRegion(part)
            cells += interior ? coverer.interiorCovering(of: region) : coverer.covering(of: region)
        }
        return Array(Set(cells)).sorted()
    }

    static func area(_ cells: [S2CellID]) -> Double { cells.reduce(0) { $0 + S2Cell($1).exactArea } }

    @Test func coveringsContainEverySamplePointOfTheShape() throws {
        for c in try Self.cases() {
            let covering = try Self.ourCovering(c)
            for p in c.samples {
                #expect(Self.unionContains(covering, p.leafCell), "\(c.typeName) \(c.options): \(p) not covered")
            }
        }
    }

    @Test func coveringsContainTheWholeShapeExactly() throws {
        // Exact check by s2geometry's boolean operations: the union of our cells contains the
        // polygon (S2Polygon::Contains), every line's full length, every point.
        let cases = try Self.cases()
        // Each covering is sent twice: whole, and without its first cell (which must then fail,
        // showing that the check can tell).
        var items: [[String: Any]] = []
        for c in cases {
            let cells = try Self.ourCovering(c).map { String($0.id) }
            items.append(["geometry": c.geometryJSON, "cells": cells])
            items.append(["geometry": c.geometryJSON, "cells": Array(cells.dropFirst())])
        }
        let results = try S2ReferenceData.check(items)
        #expect(results.count == 2 * cases.count)
        for (k, c) in cases.enumerated() where 2 * k + 1 < results.count {
            #expect(results[2 * k].covers, "\(c.typeName) \(c.options): \(results[2 * k].detail)")
            #expect(!results[2 * k + 1].covers, "\(c.typeName) \(c.options): covered without its first cell")
        }
    }

    @Test func coveringsRespectTheOptionsAndTheAreaBudget() throws {
        for c in try Self.cases() {
            let covering = try Self.ourCovering(c)
            let o = c.options
            for id in covering {
                #expect(id.levelValue >= o.minLevel && id.levelValue <= o.maxLevel)
                #expect((id.levelValue - o.minLevel) % o.levelMod == 0)
            }
            // Soft limit, as the reference: never more cells than the reference needed either.
            #expect(covering.count <= max(o.maxCells, c.covering.count) || c.typeName.hasPrefix("Multi"))
            let ours = Self.area(covering)
            #expect(ours <= 1.25 * c.coveringArea, "\(c.typeName) \(o): area \(ours) vs reference \(c.coveringArea)")
        }
    }

    @Test func singlePartCoveringsStayWithinMaxCellsWhenTheLevelsAllowIt() throws {
        for c in try Self.cases() where !c.typeName.hasPrefix("Multi") && c.covering.count <= c.options.maxCells {
            let covering = try Self.ourCovering(c)
            #expect(covering.count <= c.options.maxCells, "\(c.typeName) \(c.options): \(covering.count) cells")
        }
    }

    @Test func fixedLevelCoverIsBetweenTheExactCellsAndTheReferenceCoverer() throws {
        for c in try Self.cases() {
            let region = try S2GeometryRegion(c.geometry)
            let ours = S2RegionCoverer.cells(at: c.fixedLevel, touching: region)
            #expect(Set(ours).isSuperset(of: c.fixedExact), "\(c.typeName) at \(c.fixedLevel)")
            #expect(Set(ours).isSubset(of: c.fixed), "\(c.typeName) at \(c.fixedLevel)")
            #expect(ours == ours.sorted() && Set(ours).count == ours.count)
        }
    }

    @Test func interiorCoveringsLieInsideTheShape() throws {
        for c in try Self.cases() {
            let interior = try Self.ourCovering(c, interior: true)
            if c.typeName.contains("Line") || c.typeName.contains("Point") {
                #expect(interior.isEmpty)
                continue
            }
            #expect(interior.count <= c.options.maxCells)
            // Exact check at the fixed level (cells the reference's boolean operations found
            // touching the shape, and those of them crossed by its boundary): an interior cell
            // must hold no boundary cell, and when coarser than the fixed level, all of its
            // descendants there must touch the shape.
            let touching = c.fixedExact.sorted()
            for id in interior {
                #expect(
                    !c.fixedBoundary.contains { id.contains($0) },
                    "\(c.typeName): \(id.token) crosses the boundary"
                )
                if id.levelValue >= c.fixedLevel.rawValue {
                    #expect(touching.contains(id.parent(at: c.fixedLevel)), "\(c.typeName): \(id.token) outside")
                } else {
                    let inside = touching.filter { id.contains($0) }.count
                    #expect(
                        inside == 1 << (2 * (c.fixedLevel.rawValue - id.levelValue)),
                        "\(c.typeName): \(id.token) leaves the shape"
                    )
                }
            }
            // Comparable to the reference's interior covering in area.
            let ours = Self.area(interior)
            let theirs = Self.area(c.interior)
            #expect(ours >= 0.8 * theirs, "\(c.typeName) \(c.options): interior \(ours) vs \(theirs)")
        }
    }
}
