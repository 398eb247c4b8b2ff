import TesseraGeometry

/// How a polygon cover decides which cells belong to it.
public enum H3Containment: String, Sendable, CaseIterable {
    /// Cells whose centre is inside the polygon (the reference's `polygon_to_cells`).
    case center
    /// Cells that touch the polygon at all (`h3shape_to_cells_experimental(..., contain='overlap')`):
    /// what invalidation and geofencing need, since partly covered cells count.
    case overlap
}

/// Polygon → cells, following the reference's compact-cell iterator so that the same
/// cells come out: coarse cells whose bounding box lies inside the polygon are taken whole,
/// others are refined down to the target resolution and tested there.
public enum H3Polyfill {
    /// The cells covering `geometry` (a polygon, multipolygon, or a collection of them), sorted ascending.
    /// - Throws: ``H3Error`` `.latitudeDomain` / `.longitudeDomain` naming the position for a
    ///   coordinate out of range, `.invalidArgument` for non-areal geometry or a ring of 1–2 points.
    public static func cells(
        covering geometry: Geometry,
        at resolution: H3Resolution,
        containment: H3Containment = .center
    ) throws(H3Error) -> [H3Cell] {
        var polygons: [Polygon] = []
        try collect(geometry, path: "geometry", into: &polygons)
        var seen = Set<UInt64>()
        for (p, polygon) in polygons.enumerated() {
            let prepared = try H3GeoPolygon(polygon, path: "polygon[\(p)]")
            cover(prepared, resolution: resolution.value, containment: containment) { seen.insert($0) }
        }
        return seen.sorted().map { H3Cell(unchecked: $0) }
    }

    private static func collect(_ g: Geometry, path: String, into out: inout [Polygon]) throws(H3Error) {
        switch g {
        case .polygon(let p): out.append(p)
        case .multiPolygon(let ps): out += ps
        case .geometryCollection(let gs):
            for (i, child) in gs.enumerated() { try collect(child, path: "\(path)[\(i)]", into: &out) }
        default:
            throw H3Error(.invalidArgument, field: path, reason: "\(g.typeName) is not a Polygon or MultiPolygon")
        }
    }

    /// Calls `emit` with each covering cell of one polygon.
    @usableFromInline
    static func cover(_ poly: H3GeoPolygon, resolution res: Int, containment: H3Containment, _ emit: (UInt64) -> Void) {
        guard !poly.outer.isEmpty else { return }
        var current: UInt64? = H3Polyfill.baseCellIndex(0)
        while let cell = current {
            let cellRes = H3Bits.resolution(cell)
            if cellRes == res {
                if includes(cell, poly, resolution: res, containment: containment) { emit(cell) }
                current = nextCell(cell)
                continue
            }
            let box = H3BBox(cell: cell, coverChildren: true)
            if poly.boxes[0].overlaps(box) {
                if poly.boxes[0].contains(box) {
                    let outline = box.outline
                    if poly.containsBoundary(outline, box: box) {
                        H3Cell(unchecked: cell).forEachChild(at: res) { emit($0.rawValue) }
                        current = nextCell(cell)
                        continue
                    }
                }
                current = H3Bits.setResolution(H3Bits.zeroDigits(cell, cellRes + 1, cellRes + 1), cellRes + 1)
                continue
            }
            current = nextCell(cell)
        }
    }

    @usableFromInline
    static func includes(_ cell: UInt64, _ poly: H3GeoPolygon, resolution res: Int, containment: H3Containment) -> Bool
    {
        let centre = H3Bits.faceIJK(cell).sphere(resolution: res)
        if poly.contains(lat: centre.latitude, lng: centre.longitude) { return true }
        guard containment == .overlap else { return false }
        // The polygon may lie wholly inside the cell: test its first vertex.
        let first = poly.outer[0]
        if first.lat >= -H3Constants.halfPi && first.lat <= H3Constants.halfPi && first.lng >= -H3Constants.pi
            && first.lng <= H3Constants.pi
        {
            let v = H3Vec3(latitude: first.lat, longitude: first.lng)
            if H3Bits.index(H3FaceIJK.project(v, resolution: res), resolution: res) == cell { return true }
        }
        let boundary = H3Cell(unchecked: cell).boundary
        let box = H3BBox(cell: cell, coverChildren: false)
        return poly.crossesBoundary(boundary, box: box)
    }

    @usableFromInline
    static func baseCellIndex(_ bc: Int) -> UInt64 {
        var h = H3Bits.setBaseCell(H3Bits.cellTemplate, bc)
        h = H3Bits.setResolution(h, 0)
        return h
    }

    /// The next cell in depth-first order of the whole grid, skipping this cell's descendants.
    @usableFromInline
    static func nextCell(_ cell: UInt64) -> UInt64? {
        var cell = cell
        var res = H3Bits.resolution(cell)
        while true {
            if res == 0 {
                let bc = H3Bits.baseCell(cell) + 1
                return bc < H3BaseCells.count ? baseCellIndex(bc) : nil
            }
            let parent = H3Bits.setDigit(H3Bits.setResolution(cell, res - 1), res, 7)
            let digit = H3Bits.digit(cell, res)
            if digit < 6 {
                let step = H3Bits.isPentagon(parent) && digit == 0 ? 2 : 1
                return H3Bits.setDigit(cell, res, digit + step)
            }
            res -= 1
            cell = parent
        }
    }
}

/// A latitude/longitude box in radians; `east < west` means it crosses the antimeridian.
@usableFromInline
struct H3BBox: Sendable {
    @usableFromInline var north: Double
    @usableFromInline var south: Double
    @usableFromInline var east: Double
    @usableFromInline var west: Double

    @usableFromInline
    init(north: Double, south: Double, east: Double, west: Double) {
        self.north = north
        self.south = south
        self.east = east
        self.west = west
    }

    @usableFromInline var isTransmeridian: Bool { east < west }

    @usableFromInline var width: Double { isTransmeridian ? east - west + H3Constants.twoPi : east - west }

    /// A box around a cell (or, with `coverChildren`, around all its descendants).
    @usableFromInline
    init(cell: UInt64, coverChildren: Bool) {
        let res = H3Bits.resolution(cell)
        if res == 0 {
            let n = H3Bits.baseCell(cell) * 4
            let t = H3PolyfillTables.baseCellBoxes
            self.init(north: t[n], south: t[n + 1], east: t[n + 2], west: t[n + 3])
        } else {
            let c = H3Bits.faceIJK(cell).sphere(resolution: res)
            let lat = c.latitude
            let lng = c.longitude
            let edge = H3PolyfillTables.maxEdgeLength[res]
            let lngRatio = 1 / H3Math.cos(lat)
            self.init(north: lat + edge, south: lat - edge, east: lng + edge * lngRatio, west: lng - edge * lngRatio)
        }
        scale(coverChildren ? 1.4 : 1.1)
        if cell == H3PolyfillTables.northPoleCells[res] { north = H3Constants.halfPi }
        if cell == H3PolyfillTables.southPoleCells[res] { south = -H3Constants.halfPi }
        if north == H3Constants.halfPi || south == -H3Constants.halfPi {
            east = H3Constants.pi
            west = -H3Constants.pi
        }
    }

    @usableFromInline
    mutating func scale(_ factor: Double) {
        let w = width
        let h = north - south
        let wBuffer = (w * factor - w) * 0.5
        let hBuffer = (h * factor - h) * 0.5
        north += hBuffer
        if north > H3Constants.halfPi { north = H3Constants.halfPi }
        south -= hBuffer
        if south < -H3Constants.halfPi { south = -H3Constants.halfPi }
        east += wBuffer
        if east > H3Constants.pi { east -= H3Constants.twoPi }
        if east < -H3Constants.pi { east += H3Constants.twoPi }
        west -= wBuffer
        if west > H3Constants.pi { west -= H3Constants.twoPi }
        if west < -H3Constants.pi { west += H3Constants.twoPi }
    }

    @usableFromInline
    func contains(lat: Double, lng: Double) -> Bool {
        lat >= south && lat <= north
            && (isTransmeridian ? (lng >= west || lng <= east) : (lng >= west && lng <= east))
    }

    /// How to shift longitudes of two boxes so they compare across the antimeridian: 0 none, 1 east, 2 west.
    @usableFromInline
    static func normalization(_ a: H3BBox, _ b: H3BBox) -> (Int, Int) {
        let aT = a.isTransmeridian
        let bT = b.isTransmeridian
        let aToBTrendsEast = a.west - b.east < b.west - a.east
        let an = !aT ? 0 : bT ? 1 : aToBTrendsEast ? 1 : 2
        let bn = !bT ? 0 : aT ? 1 : aToBTrendsEast ? 2 : 1
        return (an, bn)
    }

    @usableFromInline
    static func normalize(_ lng: Double, _ mode: Int) -> Double {
        switch mode {
        case 1: lng < 0 ? lng + H3Constants.twoPi : lng
        case 2: lng > 0 ? lng - H3Constants.twoPi : lng
        default: lng
        }
    }

    @usableFromInline
    func overlaps(_ b: H3BBox) -> Bool {
        if north < b.south || south > b.north { return false }
        let (an, bn) = H3BBox.normalization(self, b)
        if H3BBox.normalize(east, an) < H3BBox.normalize(b.west, bn)
            || H3BBox.normalize(west, an) > H3BBox.normalize(b.east, bn)
        {
            return false
        }
        return true
    }

    @usableFromInline
    func contains(_ b: H3BBox) -> Bool {
        if north < b.north || south > b.south { return false }
        let (an, bn) = H3BBox.normalization(self, b)
        return H3BBox.normalize(west, an) <= H3BBox.normalize(b.west, bn)
            && H3BBox.normalize(east, an) >= H3BBox.normalize(b.east, bn)
    }

    /// The box as a 4-vertex counter-clockwise outline.
    @usableFromInline
    var outline: H3Boundary {
        var b = H3Boundary()
        b.append(lat: north, lng: east)
        b.append(lat: north, lng: west)
        b.append(lat: south, lng: west)
        b.append(lat: south, lng: east)
        return b
    }
}

/// A ring of vertices in radians, implicitly closed.
@usableFromInline
typealias H3GeoLoop = [(lat: Double, lng: Double)]

/// A polygon prepared for covering: radian rings without the closing vertex, and their boxes.
@usableFromInline
struct H3GeoPolygon: Sendable {
    @usableFromInline var outer: H3GeoLoop
    @usableFromInline var holes: [H3GeoLoop]
    /// Box of the outer ring, then of each hole.
    @usableFromInline var boxes: [H3BBox]

    @usableFromInline
    init(_ polygon: Polygon, path: String) throws(H3Error) {
        var loops: [H3GeoLoop] = []
        for (r, ring) in polygon.rings.enumerated() {
            var loop: H3GeoLoop = []
            loop.reserveCapacity(ring.count)
            for (k, p) in ring.enumerated() {
                guard p.latitude.isFinite, abs(p.latitude) <= 90 else {
                    throw H3Error(
                        .latitudeDomain,
                        field: "\(path).rings[\(r)][\(k)]",
                        reason: "latitude \(p.latitude) is not a finite value in [-90, 90]"
                    )
                }
                guard p.longitude.isFinite, abs(p.longitude) <= 180 else {
                    throw H3Error(
                        .longitudeDomain,
                        field: "\(path).rings[\(r)][\(k)]",
                        reason: "longitude \(p.longitude) is not a finite value in [-180, 180]"
                    )
                }
                loop.append((p.latitude * H3Constants.degreesToRadians, p.longitude * H3Constants.degreesToRadians))
            }
            // Rings arrive closed (GeoJSON); the algorithms close them implicitly.
            if loop.count > 1, let f = loop.first, let l = loop.last, f == l { loop.removeLast() }
            if loop.count == 1 || loop.count == 2 {
                throw H3Error(
                    .invalidArgument,
                    field: "\(path).rings[\(r)]",
                    reason: "a ring needs at least 3 distinct points"
                )
            }
            loops.append(loop)
        }
        outer = loops.first ?? []
        holes = Array(loops.dropFirst())
        boxes = loops.map(H3GeoPolygon.box)
        if loops.isEmpty { boxes = [H3BBox(north: 0, south: 0, east: 0, west: 0)] }
    }

    @usableFromInline
    static func box(_ loop: H3GeoLoop) -> H3BBox {
        guard !loop.isEmpty else { return H3BBox(north: 0, south: 0, east: 0, west: 0) }
        var b = H3BBox(
            north: -Double.greatestFiniteMagnitude,
            south: .greatestFiniteMagnitude,
            east: -Double.greatestFiniteMagnitude,
            west: .greatestFiniteMagnitude
        )
        var minPositive = Double.greatestFiniteMagnitude
        var maxNegative = -Double.greatestFiniteMagnitude
        var transmeridian = false
        for i in loop.indices {
            let (lat, lng) = loop[i]
            let next = loop[(i + 1) % loop.count]
            if lat < b.south { b.south = lat }
            if lng < b.west { b.west = lng }
            if lat > b.north { b.north = lat }
            if lng > b.east { b.east = lng }
            if lng > 0 && lng < minPositive { minPositive = lng }
            if lng < 0 && lng > maxNegative { maxNegative = lng }
            if abs(lng - next.lng) > H3Constants.pi { transmeridian = true }
        }
        if transmeridian {
            b.east = maxNegative
            b.west = minPositive
        }
        return b
    }

    /// Ray casting, with the reference's tie-breaks (nudging north and west by one epsilon).
    @usableFromInline
    static func loopContains(_ loop: H3GeoLoop, box: H3BBox, lat: Double, lng: Double) -> Bool {
        guard box.contains(lat: lat, lng: lng) else { return false }
        let t = box.isTransmeridian
        @inline(__always) func norm(_ x: Double) -> Double { t && x < 0 ? x + H3Constants.twoPi : x }
        var contains = false
        var lat = lat
        var lng = norm(lng)
        let n = loop.count
        for i in 0..<n {
            var a = loop[i]
            var b = loop[(i + 1) % n]
            if a.lat > b.lat { swap(&a, &b) }
            if lat == a.lat || lat == b.lat { lat += Double.ulpOfOne }
            if lat < a.lat || lat > b.lat { continue }
            let aLng = norm(a.lng)
            let bLng = norm(b.lng)
            if aLng == lng || bLng == lng { lng -= Double.ulpOfOne }
            let ratio = (lat - a.lat) / (b.lat - a.lat)
            let testLng = norm(aLng + (bLng - aLng) * ratio)
            if testLng > lng { contains.toggle() }
        }
        return contains
    }

    @usableFromInline
    func contains(lat: Double, lng: Double) -> Bool {
        guard H3GeoPolygon.loopContains(outer, box: boxes[0], lat: lat, lng: lng) else { return false }
        for (i, hole) in holes.enumerated() where H3GeoPolygon.loopContains(hole, box: boxes[i + 1], lat: lat, lng: lng)
        {
            return false
        }
        return true
    }

    @usableFromInline
    static func linesCross(
        _ a1: (lat: Double, lng: Double),
        _ a2: (lat: Double, lng: Double),
        _ b1: (lat: Double, lng: Double),
        _ b2: (lat: Double, lng: Double)
    ) -> Bool {
        let denom = (b2.lng - b1.lng) * (a2.lat - a1.lat) - (b2.lat - b1.lat) * (a2.lng - a1.lng)
        if denom == 0 { return false }
        var test = ((b2.lat - b1.lat) * (a1.lng - b1.lng) - (b2.lng - b1.lng) * (a1.lat - b1.lat)) / denom
        if test < 0 || test > 1 { return false }
        test = ((a2.lat - a1.lat) * (a1.lng - b1.lng) - (a2.lng - a1.lng) * (a1.lat - b1.lat)) / denom
        return test >= 0 && test <= 1
    }

    @usableFromInline
    static func loopCrosses(_ loop: H3GeoLoop, box loopBox: H3BBox, _ boundary: H3Boundary, box: H3BBox) -> Bool {
        guard loopBox.overlaps(box) else { return false }
        let (ln, bn) = H3BBox.normalization(loopBox, box)
        var verts: [(lat: Double, lng: Double)] = []
        verts.reserveCapacity(boundary.count)
        for i in 0..<boundary.count {
            let v = boundary.radians(i)
            verts.append((v.lat, H3BBox.normalize(v.lng, bn)))
        }
        let north = box.north
        let south = box.south
        let east = H3BBox.normalize(box.east, bn)
        let west = H3BBox.normalize(box.west, bn)
        let n = loop.count
        for i in 0..<n {
            var p1 = loop[i]
            p1.lng = H3BBox.normalize(p1.lng, ln)
            var p2 = loop[(i + 1) % n]
            p2.lng = H3BBox.normalize(p2.lng, ln)
            if (p1.lat >= north && p2.lat >= north) || (p1.lat <= south && p2.lat <= south)
                || (p1.lng <= west && p2.lng <= west) || (p1.lng >= east && p2.lng >= east)
            {
                continue
            }
            for j in 0..<verts.count where linesCross(p1, p2, verts[j], verts[(j + 1) % verts.count]) {
                return true
            }
        }
        return false
    }

    @usableFromInline
    func crossesBoundary(_ boundary: H3Boundary, box: H3BBox) -> Bool {
        if H3GeoPolygon.loopCrosses(outer, box: boxes[0], boundary, box: box) { return true }
        for (i, hole) in holes.enumerated() where H3GeoPolygon.loopCrosses(hole, box: boxes[i + 1], boundary, box: box)
        {
            return true
        }
        return false
    }

    /// Whether the outline lies wholly inside the polygon (no crossings, no hole inside it).
    @usableFromInline
    func containsBoundary(_ boundary: H3Boundary, box: H3BBox) -> Bool {
        let v0 = boundary.radians(0)
        guard contains(lat: v0.lat, lng: v0.lng) else { return false }
        if H3GeoPolygon.loopCrosses(outer, box: boxes[0], boundary, box: box) { return false }
        var loop: H3GeoLoop = []
        for i in 0..<boundary.count { loop.append(boundary.radians(i)) }
        for (i, hole) in holes.enumerated() where !hole.isEmpty {
            if H3GeoPolygon.loopContains(loop, box: box, lat: hole[0].lat, lng: hole[0].lng)
                || H3GeoPolygon.loopCrosses(hole, box: boxes[i + 1], boundary, box: box)
            {
                return false
            }
        }
        return true
    }
}

/// Bounding-box tables of the reference's polygon fill (`polyfill.c` of uber/h3 4.5.0).
@usableFromInline
enum H3PolyfillTables {

    /// Bounding box (north, south, east, west, radians) of each base cell.
    @usableFromInline static let baseCellBoxes: [Double] = [
        1.52480158339146, 1.20305471830087, -0.60664883654036, 0.00568297271999,
        1.52480158339146, 1.17872424267511, -0.60664883654036, 2.54046980298264,
        1.52480158339146, 1.09069387298096, -2.85286053297673, 1.64310689027893,
        1.41845302535151, 1.01285145697208, 0.00568297271999, -1.16770379632602,
        1.27950477868453, 0.97226652536306, 0.55556064983494, -0.18229924845326,
        1.32929586572429, 0.91898920750071, 2.05622344943192, 1.08813154278274,
        1.32899086063916, 0.94271815376360, -2.29875289606378, 3.01700008041993,
        1.26020983864103, 0.84291228415618, -0.89971867664861, -1.75967359310997,
        1.21114673854945, 0.86170600921069, 1.19129757609455, 0.43777608996454,
        1.21075831414294, 0.83795331049498, -1.72022875779891, -2.43793861727138,
        1.15546530929588, 0.78982455384253, 2.53659412229266, 1.85709133451243,
        1.15528445067052, 0.76641428724335, -3.06738507202411, 2.53646110244042,
        1.10121643537669, 0.71330093663066, 0.09640581900154, -0.52154514518248,
        1.07042472765165, 0.67603948819406, -0.47984202840088, -1.10306159603090,
        1.03270228748960, 0.72356358827215, -2.24990138725146, -2.74510220919157,
        1.01929924623886, 0.65491232835426, 0.63035574240731, 0.03537030096470,
        1.01786037568858, 0.58827636737638, 1.53192721817065, 0.93672682511233,
        0.98081434136020, 0.61076063532947, -2.67100636598529, 3.06516463008733,
        0.98106023192774, 0.58679836571570, 2.02829766214461, 1.51334374970280,
        0.96374551790056, 0.55186491737474, -1.42976721313659, -1.96852202530104,
        0.87536136210723, 0.50008952762292, -1.92435613571430, -2.41641343219793,
        0.88611243445554, 0.52742963716774, -0.95781946324194, -1.47628966305930,
        0.86881343251986, 0.50770567021439, 1.03236795495839, 0.50347284027426,
        0.89235638181782, 0.48781264892508, 2.76430302119150, 2.29989716697031,
        0.82570569254601, 0.52173101741059, 2.30921681461428, 1.93198541828980,
        0.80599330438546, 0.40150819579319, -3.06417559403240, 2.70079300784409,
        0.81612079704781, 0.38396800633226, -0.21614378891839, -0.70420149722178,
        0.75822779851431, 0.39943555383751, -2.34059978084699, -2.82127373822444,
        0.78861390967531, 0.38742018303868, 0.23115687731652, -0.22599491086066,
        0.71515840341957, 0.33012478438475, -0.64847976163163, -1.08249728121219,
        0.70359051048414, 0.29148673180722, 1.71441081857246, 1.28443348381696,
        0.69190629544818, 0.28808313184381, 0.64863909244647, 0.16372369282557,
        0.64863235654749, 0.26290420067147, 2.10318098268379, 1.69556122548344,
        0.65722892279906, 0.28222653310929, 1.30918693285466, 0.87594416271685,
        0.64750997738584, 0.24149865709850, -1.30272192474556, -1.68708570163242,
        0.62380174028378, 0.25522080363509, -2.72428423026826, 3.10401473237630,
        0.64228460410023, 0.21206753429148, -1.67639240992071, -2.11772366767341,
        0.59919175361146, 0.21620460836570, 2.48592868387690, 2.07350353893591,
        0.55637406851384, 0.25276557437230, -0.99885388505694, -1.32642489358939,
        0.55648013300665, 0.15187401321019, 2.87032088421324, 2.44642320475367,
        0.54603687970450, 0.15589091511369, -2.06789866067060, -2.49091419631961,
        0.51206347752697, 0.15522020377124, 0.95446767315996, 0.54443262110414,
        0.49767951537101, 0.10944898890579, -0.04335162263358, -0.42900268178569,
        0.46538045483671, 0.06029968637720, -0.41240613713421, -0.80603623808166,
        0.44686891066946, 0.06926857458503, 0.32053284794952, -0.07005748900849,
        0.43208958202064, 0.07796440938140, -3.06232453079660, 2.80602499990282,
        0.43103892586713, 0.02927431919853, -2.41589238618422, -2.85735809951951,
        0.38073727558986, -0.00297016159959, -0.77039553861218, -1.14788248745028,
        0.39113816687141, -0.01518764903038, 1.49130246958290, 1.14714731736311,
        0.33421063142418, 0.02526613430348, 1.15141032578749, 0.85000706261644,
        0.38915669778582, -0.04371359825454, 1.88046353933242, 1.48230231380717,
        0.33787520825987, -0.04835090128296, -1.12274014380603, -1.49454408844749,
        0.33601418932337, -0.06675068178541, 2.23792354204464, 1.85723423013211,
        0.31838318078049, -0.05821955623722, 0.66058854060373, 0.25452572938783,
        0.33630761471457, -0.07589541031521, -1.47957331741818, -1.85981735718264,
        0.28924817322870, -0.09150638064667, -1.83561930288569, -2.21855897384292,
        0.26678632252475, -0.10058088990867, -2.76808651991421, 3.12792953247061,
        0.29285254112587, -0.13483165093783, 2.61406468380434, 2.20466422911705,
        0.20150342788824, -0.10279852729762, 0.06881896344365, -0.23925229432978,
        0.21283813275258, -0.18626835417891, 2.93800440256577, 2.57470747655623,
        0.19587614179884, -0.17237030304155, -2.16941795427335, -2.55405165906601,
        0.17237030304155, -0.19587614179884, 0.97217469931645, 0.58754099452378,
        0.18626835417891, -0.21283813275258, -0.20358825102402, -0.56688517703356,
        0.10279852729762, -0.20150342788824, -3.07277369014614, 2.90234035926002,
        0.13483165093783, -0.29285254112587, -0.52752796978545, -0.93692842447275,
        0.10058088990867, -0.26678632252475, 0.37350613367558, -0.01366312111919,
        0.09150638064667, -0.28924817322870, 1.30597335070410, 0.92303367974687,
        0.07589541031521, -0.33630761471457, 1.66201933617161, 1.28177529640715,
        0.05821955623722, -0.31838318078049, -2.48100411298606, -2.88706692420196,
        0.06675068178541, -0.33601418932337, -0.90366911154516, -1.28435842345769,
        0.04835090128296, -0.33787520825987, 2.01885250978376, 1.64704856514230,
        0.04371359825454, -0.38915669778582, -1.26112911425737, -1.65929033978262,
        -0.02526613430348, -0.33421063142418, -1.99018232780231, -2.29158559097336,
        0.01518764903038, -0.39113816687140, -1.65029018400690, -1.99444533622668,
        0.00297016159959, -0.38073727558986, 2.37119711497761, 1.99371016613951,
        -0.02927431919853, -0.43103892586713, 0.72570026740558, 0.28423455407029,
        -0.07796440938140, -0.43208958202064, 0.07926812279319, -0.33556765368697,
        -0.06926857458503, -0.44686891066946, -2.82105980564027, 3.07153516458131,
        -0.06029968637720, -0.46538045483671, 2.72918651645558, 2.33555641550814,
        -0.10944898890579, -0.49767951537101, 3.09824103095621, 2.71258997180410,
        -0.15522020377124, -0.51206347752697, -2.18712498042983, -2.59716003248565,
        -0.15589091511369, -0.54603687970450, 1.07369399291919, 0.65067845727018,
        -0.15187401321019, -0.55648013300665, -0.27127176937655, -0.69516944883612,
        -0.25276557437230, -0.55637406851385, 2.14273876853285, 1.81516776000041,
        -0.21620460836570, -0.59919175361146, -0.65566396971290, -1.06808911465388,
        -0.21206753429148, -0.64228460410023, 1.46520024366909, 1.02386898591638,
        -0.25522080363509, -0.62380174028378, 0.41730842332153, -0.03757792121350,
        -0.24149865709850, -0.64750997738584, 1.83887072884423, 1.45450695195737,
        -0.28222653310929, -0.65722892279906, -1.83240572073513, -2.26564849087294,
        -0.26290420067147, -0.64863235654749, -1.03841167090601, -1.44603142810635,
        -0.28808313184381, -0.69190629544818, -2.49295356114332, -2.97786896076422,
        -0.29148673180722, -0.70359051048414, -1.42718183501734, -1.85715916977284,
        -0.33012478438475, -0.71515840341957, 2.49311289195816, 2.05909537237761,
        -0.38742018303868, -0.78861390967531, -2.91043577627328, 2.91559774272914,
        -0.39943555383751, -0.75822779851431, 0.80099287274280, 0.32031891536535,
        -0.38396800633226, -0.81612079704781, 2.92544886467140, 2.43739115636801,
        -0.40150819579319, -0.80599330438546, 0.07741705955739, -0.44079964574570,
        -0.52173101741059, -0.82570569254601, -0.83237583897551, -1.20960723529999,
        -0.48781264892508, -0.89235638181782, -0.37728963239830, -0.84169548661948,
        -0.50770567021439, -0.86881343251986, -2.10922469863141, -2.63811981331554,
        -0.52742963716774, -0.88611243445554, 2.18377319034785, 1.66530299053050,
        -0.50008952762292, -0.87536136210723, 1.21723651787549, 0.72517922139186,
        -0.55186491737474, -0.96374551790056, 1.71182544045320, 1.17307062828876,
        -0.58679836571570, -0.98106023192774, -1.11329499144518, -1.62824890388699,
        -0.61076063532947, -0.98081434136020, 0.47058628760450, -0.07642802350246,
        -0.58827636737638, -1.01786037568858, -1.60966543541914, -2.20486582847747,
        -0.65491232835426, -1.01929924623886, -2.51123691118248, -3.10622235262510,
        -0.72356358827215, -1.03270228748960, 0.89169126633833, 0.39649044439822,
        -0.67603948819406, -1.07042472765165, 2.66175062518892, 2.03853105755889,
        -0.71330093663066, -1.10121643537669, -3.04518683458825, 2.62004750840731,
        -0.76641428724335, -1.15528445067052, 0.07420758156568, -0.60513155114938,
        -0.78982455384253, -1.15546530929588, -0.60499853129713, -1.28450131907736,
        -0.83795331049498, -1.21075831414294, 1.42136389579088, 0.70365403631841,
        -0.86170600921069, -1.21114673854945, -1.95029507749525, -2.70381656362525,
        -0.84291228415618, -1.26020983864103, 2.24187397694118, 1.38191906047983,
        -0.94271815376360, -1.32899086063916, 0.84283975752601, -0.12459257316986,
        -0.91898920750071, -1.32929586572429, -1.08536920415787, -2.05346111080706,
        -0.97226652536306, -1.27950477868453, -2.58603200375485, 2.95929340513654,
        -1.01285145697208, -1.41845302535151, -3.13590968086981, 1.97388885726377,
        -1.09069387298096, -1.52480158339146, 0.28873212061306, -1.49848576331087,
        -1.17872424267511, -1.52480158339146, 2.53494381704943, -0.60112285060716,
        -1.20305471830087, -1.52480158339146, -0.60112285060716, 2.53494381704943,
    ]

    /// Largest edge length (radians) at each resolution, for cell bounding boxes.
    @usableFromInline static let maxEdgeLength: [Double] = [
        0.21577206265130, 0.08308767068495, 0.03148970436439, 0.01190662871439,
        0.00450053330908, 0.00170105523619, 0.00064293917678, 0.00024300820659,
        0.00009184847087, 0.00003471545901, 0.00001312121017, 0.00000495935129,
        0.00000187445860, 0.00000070847876, 0.00000026777980, 0.00000010121125,
    ]

    /// The cell containing the north pole at each resolution.
    @usableFromInline static let northPoleCells: [UInt64] = [
        0x8001fffffffffff, 0x81033ffffffffff, 0x820327fffffffff, 0x830326fffffffff, 0x8403263ffffffff,
        0x85032623fffffff, 0x860326237ffffff, 0x870326233ffffff, 0x880326233bfffff, 0x890326233abffff,
        0x8a0326233ab7fff, 0x8b0326233ab0fff, 0x8c0326233ab03ff, 0x8d0326233ab03bf, 0x8e0326233ab039f,
        0x8f0326233ab0399,
    ]

    /// The cell containing the south pole at each resolution.
    @usableFromInline static let southPoleCells: [UInt64] = [
        0x80f3fffffffffff, 0x81f2bffffffffff, 0x82f297fffffffff, 0x83f293fffffffff, 0x84f2939ffffffff,
        0x85f29383fffffff, 0x86f29380fffffff, 0x87f29380effffff, 0x88f29380e1fffff, 0x89f29380e0fffff,
        0x8af29380e0d7fff, 0x8bf29380e0d0fff, 0x8cf29380e0d0dff, 0x8df29380e0d0cff, 0x8ef29380e0d0cc7,
        0x8ff29380e0d0cc4,
    ]
}
