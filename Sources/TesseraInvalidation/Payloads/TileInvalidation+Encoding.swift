import SwiftProtobuf
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry
import TesseraGrids

extension PayloadFormat {
    /// The `Content-Type` of a tile invalidation in this format.
    public var contentType: String {
        switch self {
        case .json: "application/json"
        case .zxy: "text/plain; charset=utf-8"
        case .protobuf: "application/x-protobuf; messageType=tessera.v1.TileInvalidation"
        }
    }
}

extension TileInvalidation {
    /// Encodes in `format`, then compresses.
    public func encoded(as format: PayloadFormat, compression: PayloadCompression) throws -> EncodedPayload {
        let raw: [UInt8]
        switch format {
        case .json: raw = Array(jsonText().utf8)
        case .zxy: raw = Array(zxyText().utf8)
        case .protobuf: raw = try protobuf().serializedBytes()
        }
        return try EncodedPayload(compressing: raw, with: compression, contentType: format.contentType)
    }

    /// The `z/x/y` lines, zoom by zoom.
    public func zxyText() -> String {
        var s = ""
        s.reserveCapacity(tileCount * 16)
        for z in zooms {
            for t in z.tiles {
                s += t.description
                s += "\n"
            }
        }
        return s
    }

    /// The JSON form.
    public func jsonText() -> String {
        var s =
            "{\"type\":\"tiles.invalidated\",\"event_id\":\(quoted(eventID)),\"subscription_id\":\(quoted(subscriptionID))"
        s += ",\"layer\":\(quoted(layer)),\"tile_matrix_set\":\(quoted(tileMatrixSet))"
        s += ",\"change_count\":\(changeCount),\"tile_count\":\(tileCount)"
        s += ",\"window\":{\"start_ms\":\(windowStartMilliseconds),\"end_ms\":\(windowEndMilliseconds)}"
        if let b = bbox {
            s += ",\"bbox\":[\(json(b.west)),\(json(b.south)),\(json(b.east)),\(json(b.north))]"
        }
        if parts > 1 { s += ",\"part\":\(part),\"parts\":\(parts)" }
        s += ",\"zooms\":["
        for (i, z) in zooms.enumerated() {
            if i > 0 { s += "," }
            s += "{\"zoom\":\(z.tiles.zoom),\"count\":\(z.tiles.count)"
            if let from = z.rolledUpFrom { s += ",\"rolled_up_from\":\(from)" }
            s += ",\"tiles\":["
            var first = true
            for t in z.tiles {
                if !first { s += "," }
                first = false
                s += "[\(t.x),\(t.y)]"
            }
            s += "]}"
        }
        s += "]}"
        return s
    }

    /// The Protobuf message.
    public func protobuf() -> Tessera_V1_TileInvalidation {
        var m = Tessera_V1_TileInvalidation()
        m.eventID = eventID
        m.subscriptionID = subscriptionID
        m.layer = layer
        m.tileMatrixSet = tileMatrixSet
        m.changeCount = UInt32(clamping: changeCount)
        m.windowStartMs = windowStartMilliseconds
        m.windowEndMs = windowEndMilliseconds
        m.part = UInt32(part)
        m.parts = UInt32(parts)
        if let b = bbox {
            var box = Tessera_V1_BoundingBox()
            box.west = b.west
            box.south = b.south
            box.east = b.east
            box.north = b.north
            m.bbox = box
        }
        m.zooms = zooms.map { z in
            var p = Tessera_V1_ZoomTiles()
            p.zoom = UInt32(z.tiles.zoom)
            p.rolledUpFrom = UInt32(z.rolledUpFrom ?? 0)
            p.tileCount = UInt64(z.tiles.count)
            p.spans = SpanCodec.encode(z.tiles)
            return p
        }
        return m
    }

    /// Reads the Protobuf form back (what a receiver does).
    public init(protobuf m: Tessera_V1_TileInvalidation) throws(PayloadError) {
        var zooms: [ZoomTiles] = []
        for z in m.zooms {
            let tiles = try SpanCodec.decode(z.spans, zoom: Int(z.zoom))
            guard tiles.count == z.tileCount else {
                throw PayloadError(
                    message: "zoom \(z.zoom): spans hold \(tiles.count) tiles, tile_count says \(z.tileCount)"
                )
            }
            zooms.append(ZoomTiles(tiles: tiles, rolledUpFrom: z.rolledUpFrom == 0 ? nil : Int(z.rolledUpFrom)))
        }
        self.init(
            eventID: m.eventID,
            subscriptionID: m.subscriptionID,
            layer: m.layer,
            tileMatrixSet: m.tileMatrixSet,
            zooms: zooms,
            bbox: m.hasBbox
                ? BoundingBox(west: m.bbox.west, south: m.bbox.south, east: m.bbox.east, north: m.bbox.north) : nil,
            changeCount: Int(m.changeCount),
            windowStartMilliseconds: m.windowStartMs,
            windowEndMilliseconds: m.windowEndMs,
            part: Int(max(m.part, 1)),
            parts: Int(max(m.parts, 1))
        )
    }
}

private func quoted(_ s: String) -> String { JSONText.quoted(s) }

private func json(_ d: Double) -> String { JSONText.number(d) ?? "null" }
