import SwiftProtobuf
import TesseraGrids

/// The stored form of a window's tiles, `tessera.pending.tiles`: the coalescer's own, not a wire
/// message.
///
/// ```
/// "T" "W" version=1 flags        flags bit 0: full extent (a TRUNCATE: every tile is stale)
/// then per zoom, ascending:      zoom, n, then n span numbers (``SpanCodec``'s triples)
/// ```
/// every number an unsigned LEB128 varint. Windows written before this form (by tessera up to
/// schema version 6, a `tessera.v1.TileInvalidation` message whose `parts = 0` marked a TRUNCATE)
/// are still read, so an upgrade loses no open window; the first byte tells them apart ("T" can
/// never start a Protobuf message: it would be field 10 with the invalid wire type 4).
extension PendingWindow {
    static let magic: [UInt8] = [UInt8(ascii: "T"), UInt8(ascii: "W")]
    static let version: UInt8 = 1

    /// The stored form of the tiles and the full-extent flag (the rest lives in the row's columns).
    public func encodedTiles() -> [UInt8] {
        var out = Self.magic
        out.append(Self.version)
        out.append(fullExtent ? 1 : 0)
        for z in zooms.keys.sorted() {
            let numbers = SpanCodec.encode(zooms[z]!)
            Self.appendVarint(UInt64(z), to: &out)
            Self.appendVarint(UInt64(numbers.count), to: &out)
            for n in numbers { Self.appendVarint(UInt64(n), to: &out) }
        }
        return out
    }

    /// Reads stored tiles back into this window (its zooms and full-extent flag).
    /// - Throws: ``PayloadError`` for bytes that are neither form.
    public mutating func decodeTiles(_ bytes: [UInt8]) throws {
        guard bytes.starts(with: Self.magic) else {
            try decodeLegacyTiles(bytes)
            return
        }
        var reader = VarintReader(bytes: bytes[...].dropFirst(Self.magic.count))
        guard let version = reader.byte(), version == Self.version, let flags = reader.byte() else {
            throw PayloadError(message: "stored window: unknown version")
        }
        fullExtent = flags & 1 != 0
        while !reader.isAtEnd {
            let zoom = try reader.number(below: 64, "zoom")
            let count = try reader.number(below: 1 << 32, "span count")
            var numbers: [UInt32] = []
            numbers.reserveCapacity(Int(count))
            for _ in 0..<count { numbers.append(UInt32(try reader.number(below: 1 << 32, "span"))) }
            zooms[Int(zoom)] = try SpanCodec.decode(numbers, zoom: Int(zoom))
        }
    }

    /// The form of schema version 6 and before.
    private mutating func decodeLegacyTiles(_ bytes: [UInt8]) throws {
        let m = try Tessera_V1_TileInvalidation(serializedBytes: bytes)
        for z in m.zooms {
            zooms[Int(z.zoom)] = try SpanCodec.decode(z.spans, zoom: Int(z.zoom))
        }
        fullExtent = m.parts == 0
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}

/// Reads LEB128 varints off a byte slice.
private struct VarintReader {
    var bytes: ArraySlice<UInt8>

    var isAtEnd: Bool { bytes.isEmpty }

    mutating func byte() -> UInt8? { bytes.popFirst() }

    mutating func number(below limit: UInt64, _ what: String) throws(PayloadError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let b = bytes.popFirst() {
            value |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 {
                guard value < limit else { throw PayloadError(message: "stored window: \(what) out of range") }
                return value
            }
            shift += 7
            guard shift < 64 else { break }
        }
        throw PayloadError(message: "stored window: truncated \(what)")
    }
}
