import Foundation
import TesseraCatalog

/// Decides whether Tessera may open a connection to an address (SSRF protection).
///
/// Refused unless allow-listed: loopback, unspecified, private (RFC 1918, IPv6 unique local), link-local,
/// shared address space (CGNAT), cloud metadata endpoints, multicast, broadcast and other reserved
/// blocks, and IPv4-mapped or NAT64 IPv6 forms of any of them. The allow-list (CIDR blocks, meant for
/// local development and tests) overrides every refusal.
///
/// The policy is a pure value: it never resolves names. ``WebhookSender`` applies it to the peer address
/// of every connection it opens, after the connect and before any request byte is written, so a name
/// that resolves to a different address at connect time (DNS rebinding) is still caught.
public struct AddressPolicy: Sendable, Hashable {
    /// Blocks that override the refusals.
    public let allowed: [CIDR]
    /// The directories `expire-files` subscriptions may write under (absolute paths); none by default,
    /// so that an API key cannot make the service write files anywhere it may.
    public let expireRoots: [String]

    public init(allowing allowed: [CIDR] = [], expireRoots: [String] = []) {
        self.allowed = allowed
        self.expireRoots = expireRoots.compactMap { ExpireDirectory.path(of: "file://" + $0) }
    }

    /// Parses the allow-list from text (`["127.0.0.0/8", "::1"]`), naming the entry that is invalid.
    public init(allowing texts: [String], expireRoots: [String] = []) throws(AddressPolicyError) {
        var blocks: [CIDR] = []
        for text in texts {
            blocks.append(try CIDR(text.trimmingCharacters(in: .whitespaces)))
        }
        self.init(allowing: blocks, expireRoots: expireRoots)
    }

    /// The directory of an `expire-files` URL (`file:///…`) when it lies under one of ``expireRoots``.
    /// Symbolic links are judged where they lead, at the time of the check (the output checks again
    /// before each write).
    public func checkDirectory(_ url: String) throws(AddressPolicyError) -> String {
        guard let path = ExpireDirectory.path(of: url) else {
            throw AddressPolicyError(
                .invalidURL,
                subject: "url",
                reason: "must be a file: URL of an absolute directory"
            )
        }
        guard !expireRoots.isEmpty else {
            throw AddressPolicyError(
                .addressRefused,
                subject: path,
                reason: "this server writes no expire files (set expire_roots / TESSERA_EXPIRE_ROOTS)"
            )
        }
        let resolved = Self.resolvingLinks(path)
        for root in expireRoots {
            let base = Self.resolvingLinks(root)
            if resolved == base || resolved.hasPrefix(base == "/" ? "/" : base + "/") { return path }
        }
        throw AddressPolicyError(
            .addressRefused,
            subject: path,
            reason: "is not under an expire root of this server (\(expireRoots.joined(separator: ", ")))"
        )
    }

    /// Checks where a subscription's deliveries go, as its output reads `url`: a webhook's URL, the
    /// origin of an `http-purge` template, an `expire-files` directory. Returns the URL to connect to
    /// (nil for a directory), whose name the caller may resolve and check further.
    @discardableResult
    public func checkDestination(output: SubscriptionOutput, url: String) throws(AddressPolicyError) -> WebhookURL? {
        switch output {
        case .webhook:
            return try checkURL(url)
        case .httpPurge:
            let template: TileURLTemplate
            do {
                template = try TileURLTemplate(url)
            } catch {
                throw AddressPolicyError(
                    .invalidURL,
                    subject: "url",
                    reason: "is not a tile URL template: \(error.reason)"
                )
            }
            // The whole template must be a valid URL once filled in, and its origin is what is called.
            _ = try WebhookURL(template.sampleURL)
            return try checkURL(template.origin + "/")
        case .expireFiles:
            _ = try checkDirectory(url)
            return nil
        }
    }

    /// `path` with the symbolic links of its longest existing ancestor resolved.
    static func resolvingLinks(_ path: String) -> String {
        var existing = path
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing), existing != "/" {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        let real = (existing as NSString).resolvingSymlinksInPath
        return rest.reduce(real) { ($0 as NSString).appendingPathComponent($1) }
    }

    /// Throws unless `address` may be contacted; the error names the address and the reason.
    public func check(_ address: IPAddress) throws(AddressPolicyError) {
        if let reason = refusal(for: address) {
            throw AddressPolicyError(.addressRefused, subject: "\(address)", reason: reason)
        }
    }

    /// The reason `address` is refused, or nil when it may be contacted.
    public func refusal(for address: IPAddress) -> String? {
        if allowed.contains(where: { $0.contains(address) }) {
            return nil
        }
        if let embedded = AddressPolicy.embeddedIPv4(address) {
            if allowed.contains(where: { $0.contains(embedded.address) }) {
                return nil
            }
            if let reason = AddressPolicy.reservedReason(embedded.address) {
                return "\(embedded.form) of \(embedded.address), \(reason)"
            }
        }
        return AddressPolicy.reservedReason(address)
    }

    /// Validates a webhook URL without resolving it: `http` or `https`, a host, no user information, a port
    /// in 1...65535, and, where the host is an IP literal or `localhost`, an address the policy allows.
    /// Names are checked again on the address actually connected to.
    @discardableResult
    public func checkURL(_ text: String) throws(AddressPolicyError) -> WebhookURL {
        let url = try WebhookURL(text)
        if let address = url.address {
            try check(address)
        } else if url.isLocalhostName {
            // `localhost` and `*.localhost` always resolve to loopback (RFC 6761).
            let loopback: [IPAddress] = [.v4(0x7f00_0001), .v6(0, 1)]
            if !loopback.contains(where: { refusal(for: $0) == nil }) {
                throw AddressPolicyError(.addressRefused, subject: url.host, reason: "loopback (localhost)")
            }
        }
        return url
    }

    // MARK: - The refused blocks

    private static let refusedV4: [(CIDR, String)] = [
        (CIDR(unchecked: .v4(0xa9fe_a9fe), 32), "cloud metadata endpoint"),  // 169.254.169.254
        (CIDR(unchecked: .v4(0xffff_ffff), 32), "broadcast"),
        (CIDR(unchecked: .v4(0x0000_0000), 8), "unspecified (this network)"),
        (CIDR(unchecked: .v4(0x7f00_0000), 8), "loopback"),
        (CIDR(unchecked: .v4(0x0a00_0000), 8), "private network"),
        (CIDR(unchecked: .v4(0xac10_0000), 12), "private network"),
        (CIDR(unchecked: .v4(0xc0a8_0000), 16), "private network"),
        (CIDR(unchecked: .v4(0x6440_0000), 10), "shared address space (CGNAT)"),
        (CIDR(unchecked: .v4(0xa9fe_0000), 16), "link-local"),
        (CIDR(unchecked: .v4(0xc000_0000), 24), "reserved (IETF protocol assignments)"),
        (CIDR(unchecked: .v4(0xc000_0200), 24), "reserved (documentation)"),
        (CIDR(unchecked: .v4(0xc633_6400), 24), "reserved (documentation)"),
        (CIDR(unchecked: .v4(0xcb00_7100), 24), "reserved (documentation)"),
        (CIDR(unchecked: .v4(0xc612_0000), 15), "reserved (benchmarking)"),
        (CIDR(unchecked: .v4(0xe000_0000), 4), "multicast"),
        (CIDR(unchecked: .v4(0xf000_0000), 4), "reserved"),
    ]

    private static let refusedV6: [(CIDR, String)] = [
        (CIDR(unchecked: .v6(0, 0), 128), "unspecified"),
        (CIDR(unchecked: .v6(0, 1), 128), "loopback"),
        (CIDR(unchecked: .v6(0xfd00_0ec2_0000_0000, 0x254), 128), "cloud metadata endpoint"),  // fd00:ec2::254
        (CIDR(unchecked: .v6(0, 0), 96), "reserved (IPv4-compatible)"),
        (CIDR(unchecked: .v6(0x0100_0000_0000_0000, 0), 64), "reserved (discard-only)"),
        (CIDR(unchecked: .v6(0x2001_0db8_0000_0000, 0), 32), "reserved (documentation)"),
        (CIDR(unchecked: .v6(0xfc00_0000_0000_0000, 0), 7), "private network (unique local)"),
        (CIDR(unchecked: .v6(0xfe80_0000_0000_0000, 0), 10), "link-local"),
        (CIDR(unchecked: .v6(0xfec0_0000_0000_0000, 0), 10), "reserved (site-local)"),
        (CIDR(unchecked: .v6(0xff00_0000_0000_0000, 0), 8), "multicast"),
    ]

    private static func reservedReason(_ address: IPAddress) -> String? {
        let table: [(CIDR, String)]
        switch address {
        case .v4: table = refusedV4
        case .v6: table = refusedV6
        }
        return table.first(where: { $0.0.contains(address) })?.1
    }

    /// IPv4 addresses reachable through an IPv6 form: mapped `::ffff:a.b.c.d` and NAT64 `64:ff9b::a.b.c.d`.
    private static func embeddedIPv4(_ address: IPAddress) -> (address: IPAddress, form: String)? {
        if let mapped = address.mappedIPv4 {
            return (mapped, "IPv4-mapped form")
        }
        if case .v6(let high, let low) = address, high == 0x0064_ff9b_0000_0000, low >> 32 == 0 {
            return (.v4(UInt32(truncatingIfNeeded: low)), "NAT64 form")
        }
        return nil
    }
}

/// A webhook URL that passed the syntactic checks of ``AddressPolicy/checkURL(_:)``.
public struct WebhookURL: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    /// `http` or `https`, lowercased.
    public let scheme: String
    /// The host as written, without brackets for IPv6, lowercased.
    public let host: String
    public let port: Int
    /// The host as an address when it is an IP literal.
    public let address: IPAddress?
    /// The request target: the path (`/` when empty) and the query, as written (percent-encoded).
    public let target: String

    init(_ text: String) throws(AddressPolicyError) {
        guard text.utf8.count <= 2048 else {
            throw AddressPolicyError(.invalidURL, subject: "url", reason: "longer than 2048 bytes")
        }
        guard let components = URLComponents(string: text) else {
            throw AddressPolicyError(.invalidURL, subject: "url", reason: "not a valid URL")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw AddressPolicyError(.invalidURL, subject: "url", reason: "scheme must be http or https")
        }
        guard components.user == nil, components.password == nil else {
            throw AddressPolicyError(.invalidURL, subject: "url", reason: "must not contain user information")
        }
        guard var host = components.host?.lowercased(), !host.isEmpty else {
            throw AddressPolicyError(.invalidURL, subject: "url", reason: "has no host")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else {
            throw AddressPolicyError(.invalidURL, subject: "url", reason: "port must be 1...65535")
        }
        self.text = text
        self.scheme = scheme
        self.host = host
        self.port = port
        self.address = IPAddress(host)
        let path = components.percentEncodedPath
        let query = components.percentEncodedQuery.map { "?" + $0 } ?? ""
        self.target = (path.isEmpty ? "/" : path) + query
        if address == nil {
            // A name: letters, digits, hyphens, dots (IDNs must arrive punycode-encoded).
            let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.")
            guard host.allSatisfy({ allowed.contains($0) }), host.count <= 253 else {
                throw AddressPolicyError(.invalidURL, subject: "url", reason: "host '\(host)' is not a valid name")
            }
            // Digits-and-dots hosts that are not dotted quads (`2130706433`, `0x7f.1`, `127.1`) are refused
            // outright: resolvers read them as IPv4 in forms this check cannot mirror reliably.
            if host.allSatisfy({ $0.isNumber || $0 == "." }) || host.hasPrefix("0x") {
                throw AddressPolicyError(.invalidURL, subject: "url", reason: "host '\(host)' is not a valid name")
            }
        }
    }

    private init(text: String, scheme: String, host: String, port: Int, address: IPAddress?, target: String) {
        self.text = text
        self.scheme = scheme
        self.host = host
        self.port = port
        self.address = address
        self.target = target
    }

    /// The same origin with another request target (a path, or a path and query, as sent).
    public func replacingTarget(_ target: String) -> WebhookURL {
        let isV6 = address.map { if case .v6 = $0 { true } else { false } } ?? false
        let hostText = isV6 ? "[\(host)]" : host
        let authority = port == (scheme == "https" ? 443 : 80) ? hostText : "\(hostText):\(port)"
        return WebhookURL(
            text: "\(scheme)://\(authority)\(target)",
            scheme: scheme,
            host: host,
            port: port,
            address: address,
            target: target
        )
    }

    var isLocalhostName: Bool {
        let trimmed = host.hasSuffix(".") ? String(host.dropLast()) : host
        return trimmed == "localhost" || trimmed.hasSuffix(".localhost")
    }

    public var description: String { text }
}

/// Why an address or URL is refused, naming the address (or field) and the reason.
public struct AddressPolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case addressRefused, invalidURL, invalidCIDR
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The address is loopback, private, link-local, metadata, … and not allow-listed.
        public static let addressRefused = Code(.addressRefused)
        /// The URL is not an acceptable webhook URL.
        public static let invalidURL = Code(.invalidURL)
        /// An allow-list entry is not a CIDR block.
        public static let invalidCIDR = Code(.invalidCIDR)

        public var description: String {
            switch base {
            case .addressRefused: "address refused"
            case .invalidURL: "invalid URL"
            case .invalidCIDR: "invalid CIDR"
            }
        }
    }

    public let code: Code
    /// The address, host, allow-list entry or field concerned.
    public let subject: String
    public let reason: String

    init(_ code: Code, subject: String, reason: String) {
        self.code = code
        self.subject = subject
        self.reason = reason
    }

    public var description: String {
        switch code {
        case .addressRefused: "address \(subject) is refused: \(reason) (see allow_networks)"
        case .invalidCIDR: "allow-list entry '\(subject)': \(reason)"
        default: "\(subject): \(reason)"
        }
    }
}
