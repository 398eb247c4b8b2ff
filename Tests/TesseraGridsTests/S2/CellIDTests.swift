import Testing

@testable import TesseraGrids

@Suite struct S2CellIDTests {
    @Test func leafAndEveryLevelMatchTheReferenceForAMillionPoints() throws {
        let points = try S2ReferenceData.points()
        #expect(points.count == 1_000_000)
        var leafMismatches = 0
        var levelMismatches = 0
        var firstMismatch: String?
        for (index, p) in points.enumerated() {
            let latLng = try S2LatLng(latitude: p.latitude, longitude: p.longitude)
            let leaf = latLng.leafCell
            let atLevel = latLng.cell(at: S2Level.all[index % 31])
            if leaf.id != p.leaf {
                leafMismatches += 1
                if firstMismatch == nil {
                    firstMismatch = "(\(p.latitude), \(p.longitude)) leaf \(leaf.id) != \(p.leaf)"
                }
            }
            if atLevel.id != p.atLevel { levelMismatches += 1 }
        }
        #expect(leafMismatches == 0, "\(firstMismatch ?? "")")
        #expect(levelMismatches == 0)
    }

    @Test func everyLevelOfTheLeafMatchesItsReferenceAncestor() throws {
        // The reference ancestor at index % 31 must also come out of our parent(at:) for the leaf,
        // and the leaf's whole ancestor chain must be consistent (level, face, containment).
        let points = try S2ReferenceData.points().prefix(100_000)
        for (index, p) in points.enumerated() {
            let leaf = S2CellID(id: p.leaf)
            let level = S2Level.all[index % 31]
            let ancestor = leaf.parent(at: level)
            #expect(ancestor.id == p.atLevel)
            #expect(ancestor.level == level)
            #expect(ancestor.contains(leaf) && ancestor.intersects(leaf) && leaf.intersects(ancestor))
            #expect(ancestor.face == leaf.face && ancestor.isValid)
        }
    }

    @Test func tokensMatchAndRoundTrip() throws {
        for cell in try S2ReferenceData.cells() {
            let id = S2CellID(id: cell.id)
            #expect(id.token == cell.token)
            #expect(try S2CellID(token: cell.token) == id)
            #expect(try S2CellID(token: cell.token.uppercased()) == id)
            #expect(id.levelValue == cell.level)
        }
        let points = try S2ReferenceData.points().prefix(50_000)
        for p in points {
            let id = S2CellID(id: p.atLevel)
            #expect(try S2CellID(token: id.token) == id)
        }
    }

    @Test func edgeNeighboursMatchTheReference() throws {
        for cell in try S2ReferenceData.cells() {
            let ours = S2CellID(id: cell.id).edgeNeighbors.map(\.id)
            #expect(ours == cell.neighbors, "cell \(cell.token)")
        }
    }

    @Test func verticesAndCentresAgreeWithinANanodegree() throws {
        for cell in try S2ReferenceData.cells() {
            let s2cell = S2Cell(S2CellID(id: cell.id))
            for (ours, theirs) in zip(s2cell.vertexLatLngs, cell.vertices) {
                #expect(abs(ours.latitude - theirs.latitude) <= 1e-9, "cell \(cell.token)")
                // At a pole every longitude names the same point.
                if abs(theirs.latitude) < 90 - 1e-9 {
                    #expect(longitudeDifference(ours.longitude, theirs.longitude) <= 1e-9, "cell \(cell.token)")
                }
            }
            let centre = S2CellID(id: cell.id).centerLatLng
            #expect(abs(centre.latitude - cell.center.latitude) <= 1e-9)
            if abs(cell.center.latitude) < 90 - 1e-9 {
                #expect(longitudeDifference(centre.longitude, cell.center.longitude) <= 1e-9)
            }
            #expect(abs(s2cell.exactArea - cell.area) <= 1e-9 * cell.area)
        }
    }

    @Test func rectBoundsContainTheCellAndAreCloseToTheReference() throws {
        for cell in try S2ReferenceData.cells() {
            let s2cell = S2Cell(S2CellID(id: cell.id))
            let rect = s2cell.rectBound
            for v in s2cell.vertexLatLngs { #expect(rect.contains(v), "cell \(cell.token)") }
            #expect(abs(rect.south - cell.rect.south) <= 1e-9, "cell \(cell.token)")
            #expect(abs(rect.north - cell.rect.north) <= 1e-9, "cell \(cell.token)")
            if cell.rect.west > -180 || cell.rect.east < 180 {
                #expect(longitudeDifference(rect.west, cell.rect.west) <= 1e-9, "cell \(cell.token)")
                #expect(longitudeDifference(rect.east, cell.rect.east) <= 1e-9, "cell \(cell.token)")
            } else {
                #expect(rect.west == -180 && rect.east == 180, "cell \(cell.token)")
            }
        }
    }

    @Test func hierarchyIsConsistent() throws {
        for cell in try S2ReferenceData.cells() where cell.level < 30 {
            let id = S2CellID(id: cell.id)
            let children = id.children
            #expect(children.count == 4)
            for (k, child) in children.enumerated() {
                #expect(child.parent == id && child.childPosition == k && id.contains(child))
                #expect(child.levelValue == cell.level + 1)
            }
            #expect(children[0].rangeMin == id.rangeMin && children[3].rangeMax == id.rangeMax)
            #expect(!children[0].intersects(children[1]))
            if cell.level < 28 {
                let grandchildren = id.children(at: try S2Level(cell.level + 2))
                #expect(grandchildren == children.flatMap(\.children))
            }
        }
    }

    @Test func validityAndBadInput() throws {
        #expect(!S2CellID(id: 0).isValid)
        #expect(!S2CellID(id: 6 << 61 | 1).isValid)
        #expect(!S2CellID(id: 0b10).isValid)
        #expect(throws: S2Error.self) { try S2CellID(validating: 0) }
        for bad in ["", "xyz", "12345678901234567", "0", "2", "c", "8g"] {
            #expect(throws: S2Error.self) { try S2CellID(token: bad) }
        }
        #expect(throws: S2Error.self) { try S2Level(31) }
        #expect(throws: S2Error.self) { try S2Level(-1) }
        #expect(throws: S2Error.self) { try S2LatLng(latitude: 90.5, longitude: 0) }
        #expect(throws: S2Error.self) { try S2LatLng(latitude: 0, longitude: .nan) }
        #expect(throws: S2Error.self) { try S2LatLng(latitude: 0, longitude: 180.01) }
        let error = try #require(throws: S2Error.self) { try S2LatLng(latitude: 100, longitude: 0) }
        #expect(error.code == .invalidCoordinate && error.message.contains("latitude"))
    }
}

/// The absolute difference of two longitudes in degrees, treating -180 and 180 as equal.
func longitudeDifference(_ a: Double, _ b: Double) -> Double {
    let d = abs(a - b)
    return min(d, abs(d - 360))
}
