extension WKB {
    /// Encodes a geometry as 2D WKB, or as EWKB when `srid` is given.
    /// - Parameter littleEndian: byte order (PostGIS writes little-endian).
    public static func encode(_ geometry: Geometry, srid: Int32? = nil, littleEndian: Bool = true) -> [UInt8] {
        var w = WKBWriter(little: littleEndian)
        w.write(geometry, srid: srid)
        return w.bytes
    }

    /// Upper-case hex of ``encode(_:srid:littleEndian:)``, as PostGIS prints geometries.
    public static func encodeHex(_ geometry: Geometry, srid: Int32? = nil, littleEndian: Bool = true) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in encode(geometry, srid: srid, littleEndian: littleEndian) {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

struct WKBWriter {
    let little: Bool
    var bytes: [UInt8] = []

    init(little: Bool) { self.little = little }

    mutating func u32(_ v: UInt32) {
        let e = little ? v.littleEndian : v.bigEndian
        withUnsafeBytes(of: e) { bytes.append(contentsOf: $0) }
    }

    mutating func f64(_ v: Double) {
        let bits = v.bitPattern
        let e = little ? bits.littleEndian : bits.bigEndian
        withUnsafeBytes(of: e) { bytes.append(contentsOf: $0) }
    }

    mutating func header(_ type: UInt32, srid: Int32?) {
        bytes.append(little ? 1 : 0)
        if let srid {
            u32(type | 0x2000_0000)
            u32(UInt32(bitPattern: srid))
        } else {
            u32(type)
        }
    }

    mutating func positions(_ ps: [Position]) {
        u32(UInt32(ps.count))
        for p in ps {
            f64(p.longitude)
            f64(p.latitude)
        }
    }

    mutating func write(_ g: Geometry, srid: Int32?) {
        switch g {
        case .point(let p):
            header(1, srid: srid)
            f64(p.longitude)
            f64(p.latitude)
        case .multiPoint(let ps):
            header(4, srid: srid)
            u32(UInt32(ps.count))
            for p in ps { write(.point(p), srid: nil) }
        case .lineString(let l):
            header(2, srid: srid)
            positions(l.positions)
        case .multiLineString(let ls):
            header(5, srid: srid)
            u32(UInt32(ls.count))
            for l in ls { write(.lineString(l), srid: nil) }
        case .polygon(let poly):
            header(3, srid: srid)
            u32(UInt32(poly.rings.count))
            for ring in poly.rings { positions(ring) }
        case .multiPolygon(let polys):
            header(6, srid: srid)
            u32(UInt32(polys.count))
            for poly in polys { write(.polygon(poly), srid: nil) }
        case .geometryCollection(let gs):
            header(7, srid: srid)
            u32(UInt32(gs.count))
            for part in gs { write(part, srid: nil) }
        }
    }
}
