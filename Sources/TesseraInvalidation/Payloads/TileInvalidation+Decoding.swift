import SwiftProtobuf
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry
import TesseraGrids

extension TileInvalidation {
    /// The tiles a stored payload lists (at most `limit`), read back from whichever format and
    /// compression it was written in: what the status page's map draws. Rolled-up zooms give their
    /// ancestor tiles, which cover the same ground.
    /// - Returns: the payload's tile matrix set (nil for `z/x/y` text, which does not say) and the tiles.
    /// - Throws: ``PayloadError`` for a payload that is not one of Tessera's tile invalidations.
    public static func listedTiles(
        payload: [UInt8],
        contentType: String,
        contentEncoding: String?,
        limit: Int
    ) throws(PayloadError) -> (tileMatrixSet: String?, tiles: [Tile]) {
        let compression = contentEncoding.flatMap(PayloadCompression.init(rawValue:)) ?? PayloadCompression.none
        let raw: [UInt8]
        do {
            raw = try compression.decompress(payload, limit: 64 << 20)
        } catch {
            throw PayloadError(message: "cannot decompress the payload: \(error)")
        }
        var tiles: [Tile] = []
        if contentType.hasPrefix(PayloadFormat.protobuf.contentType.prefix(22)) {
            let message: Tessera_V1_TileInvalidation
            do {
                message = try Tessera_V1_TileInvalidation(serializedBytes: raw)
            } catch {
                throw PayloadError(message: "not a tessera.v1.TileInvalidation: \(error)")
            }
            let event = try TileInvalidation(protobuf: message)
            outer: for z in event.zooms {
                for t in z.tiles {
                    if tiles.count >= limit { break outer }
                    tiles.append(t)
                }
            }
            return (event.tileMatrixSet, tiles)
        }
        if contentType.hasPrefix("text/plain") {
            for line in raw.split(separator: UInt8(ascii: "\n")) where tiles.count < limit {
                guard let tile = try? Tile(parsing: String(decoding: line, as: UTF8.self)), tile.z <= 30,
                    tile.x >> (tile.z + 1) == 0, tile.y >> (tile.z + 1) == 0
                else {
                    throw PayloadError(message: "not a z/x/y line: \(String(decoding: line.prefix(40), as: UTF8.self))")
                }
                tiles.append(tile)
            }
            return (nil, tiles)
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(raw)
        } catch {
            throw PayloadError(message: "not JSON: \(error)")
        }
        guard case .array(let zooms)? = json["zooms"] else {
            throw PayloadError(message: "a JSON tile invalidation has a zooms array")
        }
        outer: for z in zooms {
            guard case .number(let zoom)? = z["zoom"], (0...30).contains(zoom), zoom == zoom.rounded(),
                case .array(let pairs)? = z["tiles"]
            else { continue }
            let size = Double(1 << (Int(zoom) + 1))
            for pair in pairs {
                if tiles.count >= limit { break outer }
                guard case .array(let xy) = pair, xy.count == 2, case .number(let x) = xy[0],
                    case .number(let y) = xy[1], (0..<size).contains(x), (0..<size).contains(y),
                    x == x.rounded(), y == y.rounded()
                else { continue }
                tiles.append(Tile(z: Int(zoom), x: Int(x), y: Int(y)))
            }
        }
        if case .string(let set)? = json["tile_matrix_set"] { return (set, tiles) }
        return (nil, tiles)
    }
}
