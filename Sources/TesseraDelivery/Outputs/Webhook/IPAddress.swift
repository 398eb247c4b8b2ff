/// An IPv4 or IPv6 address, parsed from its text form without any name resolution.
///
/// IPv6 addresses may carry a zone (`fe80::1%eth0`); the zone is dropped, the address is kept.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt64, UInt64)

    /// Parses dotted-quad IPv4 (`192.0.2.1`) or any RFC 4291 IPv6 text form (`::1`, `::ffff:10.0.0.1`).
    /// Brackets (`[::1]`, as in URLs) are accepted. Returns nil for anything else, host names included.
    public init?(_ text: some StringProtocol) {
        var text = Substring(text)
        if text.first == "[" && text.last == "]" {
            text = text.dropFirst().dropLast()
        }
        if let zone = text.firstIndex(of: "%") {
            text = text[..<zone]
        }
        if let v4 = IPAddress.parseV4(text) {
            self = .v4(v4)
        } else if let (high, low) = IPAddress.parseV6(text) {
            self = .v6(high, low)
        } else {
            return nil
        }
    }

    /// The 16 bytes of an IPv6 address in network order.
    public init(ipv6 bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 {
                high = high << 8 | UInt64(byte)
            } else {
                low = low << 8 | UInt64(byte)
            }
        }
        self = .v6(high, low)
    }

    /// The IPv4 address embedded in an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), if this is one.
    public var mappedIPv4: IPAddress? {
        guard case .v6(let high, let low) = self, high == 0, low >> 32 == 0xffff else { return nil }
        return .v4(UInt32(truncatingIfNeeded: low))
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
        case .v6(let high, let low):
            if let mapped = mappedIPv4 {
                return "::ffff:\(mapped)"
            }
            let groups = (0..<8).map { index -> UInt16 in
                let word = index < 4 ? high : low
                return UInt16(truncatingIfNeeded: word >> (UInt64(3 - index % 4) * 16))
            }
            // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on a tie.
            var bestStart = -1
            var bestLength = 1
            var index = 0
            while index < 8 {
                if groups[index] == 0 {
                    var end = index
                    while end < 8 && groups[end] == 0 { end += 1 }
                    if end - index > bestLength {
                        bestStart = index
                        bestLength = end - index
                    }
                    index = end
                } else {
                    index += 1
                }
            }
            let hex = groups.map { String($0, radix: 16) }
            guard bestStart >= 0 else { return hex.joined(separator: ":") }
            let head = hex[..<bestStart].joined(separator: ":")
            let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
            return head + "::" + tail
        }
    }

    private static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            // Leading zeros are refused: some resolvers read them as octal (`010` = 8).
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit),
                part == "0" || part.first != "0", let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    private static func parseV6(_ text: Substring) -> (UInt64, UInt64)? {
        guard text.contains(":") else { return nil }
        var groups: [UInt16] = []
        var tailGroups: [UInt16] = []
        var sawDoubleColon = false
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        sawDoubleColon = halves.count == 2

        func parseGroups(_ part: String, allowTrailingV4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, allowTrailingV4, piece.contains(".") {
                    guard let v4 = parseV4(piece) else { return nil }
                    result.append(UInt16(v4 >> 16))
                    result.append(UInt16(v4 & 0xffff))
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit),
                        let group = UInt16(piece, radix: 16)
                    else { return nil }
                    result.append(group)
                }
            }
            return result
        }

        if sawDoubleColon {
            guard let head = parseGroups(halves[0], allowTrailingV4: false),
                let tail = parseGroups(halves[1], allowTrailingV4: true),
                head.count + tail.count <= 7
            else { return nil }
            groups = head
            tailGroups = tail
            groups += Array(repeating: 0, count: 8 - head.count - tail.count) + tailGroups
        } else {
            guard let all = parseGroups(halves[0], allowTrailingV4: true), all.count == 8 else { return nil }
            groups = all
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, group) in groups.enumerated() {
            if index < 4 {
                high = high << 16 | UInt64(group)
            } else {
                low = low << 16 | UInt64(group)
            }
        }
        return (high, low)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// A block of addresses in CIDR notation: `10.0.0.0/8`, `fc00::/7`, or one address (`127.0.0.1`).
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Parses `address/prefix`; a bare address means the single address. Host bits must be zero.
    public init(_ text: String) throws(AddressPolicyError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(parts[0]) else {
            throw AddressPolicyError(.invalidCIDR, subject: text, reason: "not an IP address or CIDR block")
        }
        let maximum = address.bitWidth
        let length: Int
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maximum).contains(parsed) else {
                throw AddressPolicyError(.invalidCIDR, subject: text, reason: "prefix length must be 0...\(maximum)")
            }
            length = parsed
        } else {
            length = maximum
        }
        guard address.masked(to: length) == address else {
            throw AddressPolicyError(
                .invalidCIDR,
                subject: text,
                reason: "address has bits set beyond the prefix length"
            )
        }
        self.address = address
        self.prefixLength = length
    }

    init(unchecked address: IPAddress, _ prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Whether `candidate` lies in this block; an IPv4 address never lies in an IPv6 block or the reverse.
    public func contains(_ candidate: IPAddress) -> Bool {
        switch (address, candidate) {
        case (.v4, .v4), (.v6, .v6):
            return candidate.masked(to: prefixLength) == address
        default:
            return false
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

extension IPAddress {
    var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    func masked(to length: Int) -> IPAddress {
        switch self {
        case .v4(let value):
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
            return .v4(value & mask)
        case .v6(let high, let low):
            let highMask: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length))
            let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~UInt64(0) << UInt64(128 - length))
            return .v6(high & highMask, low & lowMask)
        }
    }
}
