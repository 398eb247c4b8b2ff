/// Decoding WKB (OGC and ISO, 2D/Z/M/ZM) and PostGIS EWKB (SRID, Z and M flags), both byte orders.
///
/// Z and M values are read and dropped: Tessera works in 2D. `POINT EMPTY` (NaN coordinates)
/// decodes as an empty `.multiPoint([])`.
public enum WKB {
    /// A decoded geometry and the SRID an EWKB header carried (nil for plain WKB).
    public struct Decoded: Hashable, Sendable {
        public var geometry: Geometry
        public var srid: Int32?
    }

    /// Decodes one geometry that must fill `bytes` exactly.
    /// - Throws: ``WKBError`` naming the offset and the problem; never traps on hostile input.
    public static func decode(_ bytes: [UInt8]) throws(WKBError) -> Decoded {
        let result: Result<Decoded, WKBError> = bytes.withUnsafeBytes { raw in
            Result { () throws(WKBError) -> Decoded in try decode(raw) }
        }
        return try result.get()
    }

    /// Decodes one geometry that must fill `raw` exactly (e.g. a database driver's buffer).
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(WKBError) -> Decoded {
        var reader = WKBReader(bytes: raw)
        let decoded = try reader.readGeometry(depth: 0)
        guard reader.offset == raw.count else {
            throw WKBError(
                code: .trailingBytes,
                offset: reader.offset,
                message: "\(raw.count - reader.offset) bytes after the geometry"
            )
        }
        return Decoded(geometry: decoded.geometry, srid: decoded.srid)
    }

    /// Decodes hex-encoded WKB/EWKB, as PostGIS prints geometries in text form.
    public static func decode(hex: some StringProtocol) throws(WKBError) -> Decoded {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        var index = 0
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default:
                throw WKBError(
                    code: .truncated,
                    offset: index / 2,
                    message: "'\(Character(Unicode.Scalar(c)))' is not a hex digit"
                )
            }
            if let h = high {
                bytes.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
            index += 1
        }
        if high != nil { throw WKBError(code: .truncated, offset: bytes.count, message: "odd number of hex digits") }
        return try decode(bytes)
    }
}

/// Low-level cursor. Every read is bounds-checked before it happens.
struct WKBReader {
    static let maximumDepth = 32

    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    struct Header {
        var littleEndian: Bool
        var baseType: UInt32
        var dimensions: Int  // 2, 3 or 4 doubles per position
        var srid: Int32?
    }

    func fail(_ code: WKBError.Code, _ message: String) -> WKBError {
        WKBError(code: code, offset: offset, message: message)
    }

    @inline(__always)
    mutating func need(_ n: Int) throws(WKBError) {
        guard n >= 0, bytes.count - offset >= n else {
            throw fail(.truncated, "needs \(n) more bytes, has \(bytes.count - offset)")
        }
    }

    @inline(__always)
    mutating func readUInt32(_ little: Bool) throws(WKBError) -> UInt32 {
        try need(4)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        offset += 4
        return little ? UInt32(littleEndian: v) : UInt32(bigEndian: v)
    }

    mutating func readHeader() throws(WKBError) -> Header {
        try need(1)
        let order = bytes[offset]
        guard order <= 1 else { throw fail(.byteOrder, "byte order \(order) is neither 0 nor 1") }
        offset += 1
        let little = order == 1
        let raw = try readUInt32(little)
        var hasZ = raw & 0x8000_0000 != 0
        var hasM = raw & 0x4000_0000 != 0
        let hasSRID = raw & 0x2000_0000 != 0
        var code = raw & 0x0FFF_FFFF
        // ISO WKB: 1000s are Z, 2000s M, 3000s ZM.
        switch code / 1000 {
        case 0: break
        case 1: hasZ = true
        case 2: hasM = true
        case 3:
            hasZ = true
            hasM = true
        default: throw fail(.geometryType, "type code \(raw) is not a WKB geometry type")
        }
        code %= 1000
        guard (1...7).contains(code) else {
            throw fail(.geometryType, "type code \(raw) is not a supported geometry type (1–7)")
        }
        var srid: Int32?
        if hasSRID { srid = Int32(bitPattern: try readUInt32(little)) }
        return Header(littleEndian: little, baseType: code, dimensions: 2 + (hasZ ? 1 : 0) + (hasM ? 1 : 0), srid: srid)
    }

    mutating func readGeometry(depth: Int) throws(WKBError) -> (geometry: Geometry, srid: Int32?) {
        guard depth <= Self.maximumDepth else {
            throw fail(.nesting, "collections nested deeper than \(Self.maximumDepth)")
        }
        let h = try readHeader()
        let g: Geometry
        switch h.baseType {
        case 1:
            let p = try readPositions(count: 1, h)[0]
            g = p.longitude.isNaN && p.latitude.isNaN ? .multiPoint([]) : .point(p)
        case 2:
            g = .lineString(LineString(try readPositions(count: try readCount(h, minBytes: 8 * h.dimensions), h)))
        case 3:
            g = .polygon(try readPolygonBody(h))
        case 4, 5, 6, 7:
            let n = try readCount(h, minBytes: 9)
            var parts: [Geometry] = []
            parts.reserveCapacity(n)
            for _ in 0..<n {
                let partStart = offset
                let part = try readGeometry(depth: depth + 1).geometry
                if h.baseType != 7 {
                    let ok: Bool
                    switch (h.baseType, part) {
                    case (4, .point), (4, .multiPoint([])), (5, .lineString), (6, .polygon): ok = true
                    default: ok = false
                    }
                    guard ok else {
                        throw WKBError(
                            code: .nesting,
                            offset: partStart,
                            message: "a \(part.typeName) inside a \(Self.name(h.baseType))"
                        )
                    }
                }
                parts.append(part)
            }
            switch h.baseType {
            case 4:
                g = .multiPoint(parts.compactMap { if case .point(let p) = $0 { p } else { nil } })
            case 5:
                g = .multiLineString(parts.compactMap { if case .lineString(let l) = $0 { l } else { nil } })
            case 6:
                g = .multiPolygon(parts.compactMap { if case .polygon(let p) = $0 { p } else { nil } })
            default:
                g = .geometryCollection(parts)
            }
        default:
            throw fail(.geometryType, "unsupported type \(h.baseType)")
        }
        return (g, h.srid)
    }

    static func name(_ type: UInt32) -> String {
        ["", "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "GeometryCollection"][
            Int(type)
        ]
    }

    /// Reads an element count and checks the remaining bytes can hold that many elements.
    mutating func readCount(_ h: Header, minBytes: Int) throws(WKBError) -> Int {
        let n = Int(try readUInt32(h.littleEndian))
        guard n <= (bytes.count - offset) / minBytes else {
            throw fail(.truncated, "count \(n) needs at least \(n * minBytes) bytes, \(bytes.count - offset) remain")
        }
        return n
    }

    mutating func readPolygonBody(_ h: Header) throws(WKBError) -> Polygon {
        let ringCount = try readCount(h, minBytes: 4)
        var rings: [[Position]] = []
        rings.reserveCapacity(ringCount)
        for _ in 0..<ringCount {
            rings.append(try readPositions(count: try readCount(h, minBytes: 8 * h.dimensions), h))
        }
        return Polygon(rings)
    }

    mutating func readPositions(count: Int, _ h: Header) throws(WKBError) -> [Position] {
        let stride = 8 * h.dimensions
        try need(count * stride)
        let base = offset
        let little = h.littleEndian
        let raw = bytes
        let positions = [Position](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                let o = base + i * stride
                var x = raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)
                var y = raw.loadUnaligned(fromByteOffset: o + 8, as: UInt64.self)
                if little {
                    x = UInt64(littleEndian: x)
                    y = UInt64(littleEndian: y)
                } else {
                    x = UInt64(bigEndian: x)
                    y = UInt64(bigEndian: y)
                }
                buffer[i] = Position(longitude: Double(bitPattern: x), latitude: Double(bitPattern: y))
            }
            initialized = count
        }
        offset += count * stride
        return positions
    }
}
