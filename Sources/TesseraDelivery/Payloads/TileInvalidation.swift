import TesseraGeometry
import TesseraGrids

/// One zoom's stale tiles in an invalidation.
public struct ZoomTiles: Hashable, Sendable {
    /// The tiles; when ``rolledUpFrom`` is set, ancestors standing for their descendants.
    public var tiles: TileSet
    /// The zoom the tiles were rolled up from (their descendants down to it are stale), or nil.
    public var rolledUpFrom: Int?

    public init(tiles: TileSet, rolledUpFrom: Int? = nil) {
        self.tiles = tiles
        self.rolledUpFrom = rolledUpFrom
    }
}

/// Every tile of one layer made stale by the edits of one coalescing window: what a tile
/// cache receives, in JSON, `z/x/y` text or Protobuf.
public struct TileInvalidation: Hashable, Sendable {
    public var eventID: String
    public var subscriptionID: String
    public var layer: String
    public var tileMatrixSet: String
    public var zooms: [ZoomTiles]
    public var bbox: BoundingBox?
    public var changeCount: Int
    /// Unix milliseconds of the first and last change in the window.
    public var windowStartMilliseconds: Int64
    public var windowEndMilliseconds: Int64
    /// 1-based part number and the number of parts when a window is split; 1 and 1 otherwise.
    public var part: Int
    public var parts: Int

    public init(
        eventID: String,
        subscriptionID: String,
        layer: String,
        tileMatrixSet: String,
        zooms: [ZoomTiles],
        bbox: BoundingBox?,
        changeCount: Int,
        windowStartMilliseconds: Int64,
        windowEndMilliseconds: Int64,
        part: Int = 1,
        parts: Int = 1
    ) {
        self.eventID = eventID
        self.subscriptionID = subscriptionID
        self.layer = layer
        self.tileMatrixSet = tileMatrixSet
        self.zooms = zooms
        self.bbox = bbox
        self.changeCount = changeCount
        self.windowStartMilliseconds = windowStartMilliseconds
        self.windowEndMilliseconds = windowEndMilliseconds
        self.part = part
        self.parts = parts
    }

    /// The number of tiles listed, over all zooms.
    public var tileCount: Int { zooms.reduce(0) { $0 + $1.tiles.count } }
}

/// The packed row-span form used in Protobuf payloads (and Tessera's pending windows):
/// triples of (row delta, first column or gap from the previous span, length - 1).
public enum SpanCodec {
    public static func encode(_ set: TileSet) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(set.spans.count * 3)
        var lastY: Int32 = 0
        var lastX1: Int32 = 0
        var first = true
        for s in set.spans {
            let dy = s.y - lastY
            let x = (!first && dy == 0) ? s.x0 - lastX1 : s.x0
            out.append(UInt32(dy))
            out.append(UInt32(x))
            out.append(UInt32(s.x1 - s.x0))
            lastY = s.y
            lastX1 = s.x1
            first = false
        }
        return out
    }

    /// - Throws: ``PayloadError`` when the numbers are not whole triples or describe unsorted spans.
    public static func decode(_ numbers: [UInt32], zoom: Int) throws(PayloadError) -> TileSet {
        guard numbers.count % 3 == 0 else {
            throw PayloadError(message: "span list of \(numbers.count) numbers is not triples")
        }
        var spans: [TileSpan] = []
        spans.reserveCapacity(numbers.count / 3)
        var y: Int64 = 0
        var lastX1: Int64 = 0
        var i = 0
        while i < numbers.count {
            let dy = Int64(numbers[i])
            y += dy
            let x0 = (i > 0 && dy == 0) ? lastX1 + Int64(numbers[i + 1]) : Int64(numbers[i + 1])
            let x1 = x0 + Int64(numbers[i + 2])
            guard y < Int64(Int32.max), x1 < Int64(Int32.max), i == 0 || dy > 0 || numbers[i + 1] >= 1 else {
                throw PayloadError(message: "span \(i / 3) is out of order or out of range")
            }
            spans.append(TileSpan(y: Int32(y), x0: Int32(x0), x1: Int32(x1)))
            lastX1 = x1
            i += 3
        }
        return TileSet(zoom: zoom, spans: spans)
    }
}

/// A payload that cannot be encoded or decoded.
public struct PayloadError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
