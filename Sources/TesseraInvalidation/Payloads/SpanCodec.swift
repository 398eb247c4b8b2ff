import TesseraGrids

/// The packed row-span form used in Protobuf payloads (and the coalescer's stored windows):
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
