import NIOCore

/// The payload of an `http-purge` delivery: the requests to send, one per line.
///
/// A line is `METHOD TARGET`, or `METHOD TARGET VALUE` for a ban (`VALUE`, a URL regex, travels in the
/// subscription's ban header): `PURGE /tiles/roads/14/8800/5373.pbf`, `BAN / ^/tiles/roads/`. The
/// pipeline that writes the delivery expands the tiles into targets; the output only sends lines, so
/// it knows no tiles. Targets are percent-encoded and hold no spaces; a regex may.
public struct PurgeList: Sendable, Hashable {
    public struct Request: Sendable, Hashable {
        public var method: String
        public var target: String
        /// The ban header's value, for a ban.
        public var banExpression: String?

        public init(method: String, target: String, banExpression: String? = nil) {
            self.method = method
            self.target = target
            self.banExpression = banExpression
        }
    }

    /// `text/vnd.tessera.purge-list`: what the delivery log shows as the payload's type.
    public static let contentType = "text/vnd.tessera.purge-list"

    public var requests: [Request]

    public init(_ requests: [Request]) { self.requests = requests }

    /// The payload bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(requests.count * 40)
        for r in requests {
            out += r.method.utf8
            out.append(UInt8(ascii: " "))
            out += r.target.utf8
            if let value = r.banExpression {
                out.append(UInt8(ascii: " "))
                out += value.utf8
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// Reads a payload; a line that is not `METHOD TARGET [VALUE]` (a method of capital letters, a
    /// target starting with `/`) is an error naming its line number.
    public init(parsing buffer: ByteBuffer) throws(PurgeListError) {
        var requests: [Request] = []
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, !fields[0].isEmpty, fields[0].allSatisfy({ $0.isASCII && $0.isUppercase }),
                fields[1].hasPrefix("/")
            else {
                throw PurgeListError(line: i + 1, reason: "is not 'METHOD /target [ban expression]'")
            }
            requests.append(
                Request(
                    method: String(fields[0]),
                    target: String(fields[1]),
                    banExpression: fields.count > 2 ? String(fields[2]) : nil
                )
            )
        }
        self.requests = requests
    }
}

/// A purge list that cannot be read.
public struct PurgeListError: Error, Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public var description: String { "purge list line \(line) \(reason)" }
}

/// Which requests of a purge list are done: bit `i` of byte `i / 8` (least significant first) for
/// request `i`. Stored in `tessera.deliveries.progress`.
public struct PurgeProgress: Sendable, Hashable {
    public private(set) var bits: [UInt8]
    public let count: Int

    /// No request done, or the stored bits (shorter or missing ones read as not done).
    public init(count: Int, stored: [UInt8]? = nil) {
        self.count = count
        var bits = [UInt8](repeating: 0, count: (count + 7) / 8)
        if let stored {
            for i in 0..<min(stored.count, bits.count) { bits[i] = stored[i] }
            if count % 8 != 0, !bits.isEmpty { bits[bits.count - 1] &= UInt8((1 << (count % 8)) - 1) }
        }
        self.bits = bits
    }

    public func isDone(_ i: Int) -> Bool { bits[i >> 3] & (1 << UInt8(i & 7)) != 0 }

    public mutating func markDone(_ i: Int) { bits[i >> 3] |= 1 << UInt8(i & 7) }

    public var doneCount: Int { bits.reduce(0) { $0 + $1.nonzeroBitCount } }

    public var isComplete: Bool { doneCount == count }
}
