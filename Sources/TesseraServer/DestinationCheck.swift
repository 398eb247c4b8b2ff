import NIOPosix
import TesseraCatalog
import TesseraDelivery

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checks a webhook URL when a subscription is created or its URL changed: the syntax, then every
/// address its host resolves to now, against the address policy (SSRF protection).
///
/// This is the early, friendly refusal; the dispatcher checks the address it actually connects
/// to on every call, so a name that later resolves elsewhere (DNS rebinding) is still caught.
struct DestinationCheck: Sendable {
    let policy: AddressPolicy

    /// - Throws: ``Problem`` 422 naming `field` and the reason (bad syntax, no such host, refused address).
    func check(_ text: String, field: String = "url") async throws -> WebhookURL {
        guard let url = try await check(text, output: .webhook, field: field) else {
            throw Problem.invalid(field: field, "no URL to call")
        }
        return url
    }

    /// Checks `text` as `output` reads it (``AddressPolicy/checkDestination(output:url:)``); for the
    /// outputs that call a URL, then resolves its host and checks every address. Returns that URL.
    @discardableResult
    func check(_ text: String, output: SubscriptionOutput, field: String = "url") async throws -> WebhookURL? {
        let checked: WebhookURL?
        do {
            checked = try policy.checkDestination(output: output, url: text)
        } catch {
            // The field is named once, by the problem: "url: scheme must be http or https".
            throw Problem.invalid(field: field, error.code == .invalidURL ? error.reason : error.description)
        }
        guard let url = checked else { return nil }
        guard url.address == nil else { return url }  // an IP literal: checkURL checked it
        let host = url.host
        let addresses = try await NIOThreadPool.singleton.runIfActive { Self.resolve(host) }
        guard !addresses.isEmpty else {
            throw Problem.invalid(field: field, "the host '\(host)' does not resolve to any address")
        }
        for address in addresses {
            if let reason = policy.refusal(for: address) {
                throw Problem.invalid(
                    field: field,
                    "the host '\(host)' resolves to \(address), which may not be called (\(reason)); "
                        + "allow it with api.allow_networks / TESSERA_ALLOW_NETWORKS for local development"
                )
            }
        }
        return url
    }

    /// Every address `getaddrinfo` gives for `host` (blocking; run it off the event loops).
    static func resolve(_ host: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var out: [IPAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next {
            if let sa = info.pointee.ai_addr {
                switch info.pointee.ai_family {
                case AF_INET:
                    let raw = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                    out.append(.v4(UInt32(bigEndian: raw)))
                case AF_INET6:
                    var addr = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    let bytes = withUnsafeBytes(of: &addr) { Array($0) }
                    out.append(IPAddress(ipv6: bytes))
                default:
                    break
                }
            }
            next = info.pointee.ai_next
        }
        return out
    }
}
