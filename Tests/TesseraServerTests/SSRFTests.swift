import Foundation
import Hummingbird
import HummingbirdTesting
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry
import Testing

@testable import TesseraServer

@Suite("SSRF protection at create and update")
struct SSRFTests {
    static let refused = [
        "http://localhost/hook",
        "http://api.localhost:8080/hook",
        "http://127.0.0.1:8080/hook",
        "http://127.1.2.3/hook",
        "http://10.0.0.5/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.10/hook",
        "http://100.64.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fd00:ec2::254]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
    ]

    @Test("URLs of loopback, private, link-local and metadata addresses are refused")
    func refusedAddresses() async throws {
        try await APIHarness.with { h in
            for url in Self.refused {
                let r = try await h.call(
                    .post,
                    "/v1/subscriptions",
                    key: h.alpha,
                    json: #"{"name": "n", "url": "\#(url)", "layers": ["roads"]}"#
                )
                #expect(r.status == .unprocessableContent, "\(url): \(String(buffer: r.body))")
                #expect(try r.json()["errors"]?.array?.first?["field"]?.string == "url", "\(url)")
            }
            #expect(try await h.db.int("SELECT count(*) FROM tessera.subscriptions") == 0)
        }
    }

    @Test("a host name that resolves to loopback is refused; so is changing a URL to one")
    func nameResolvingToLoopback() async throws {
        let host = try #require(Self.loopbackName(), "no host name other than localhost resolves to loopback here")
        try await APIHarness.with { h in
            let r = try await h.call(
                .post,
                "/v1/subscriptions",
                key: h.alpha,
                json: #"{"name": "n", "url": "http://\#(host):9/hook", "layers": ["roads"]}"#
            )
            #expect(r.status == .unprocessableContent)
            #expect(try r.json()["detail"]?.string?.contains("resolves to 127.") == true, "\(String(buffer: r.body))")

            let id = try #require(try await h.createSubscription(key: h.alpha, name: "ok")["id"]?.string)
            let patch = try await h.call(
                .patch,
                "/v1/subscriptions/\(id)",
                key: h.alpha,
                json: #"{"url": "http://\#(host):9/hook"}"#
            )
            #expect(patch.status == .unprocessableContent)
            #expect(try await h.db.column("SELECT url FROM tessera.subscriptions") == ["http://93.184.215.14/hook"])
        }
    }

    @Test("an allow-listed network may be used (local development)")
    func allowListed() async throws {
        let host = Self.loopbackName()
        try await APIHarness.with(allow: ["127.0.0.0/8", "::1/128"]) { h in
            var urls = ["http://127.0.0.1:8080/hook", "http://localhost:8080/hook", "http://[::1]:8080/hook"]
            if let host { urls.append("http://\(host):8080/hook") }
            for (i, url) in urls.enumerated() {
                let r = try await h.call(
                    .post,
                    "/v1/subscriptions",
                    key: h.alpha,
                    json: #"{"name": "n\#(i)", "url": "\#(url)", "layers": ["roads"]}"#
                )
                #expect(r.status == .created, "\(url): \(String(buffer: r.body))")
            }
            // Other private networks stay refused.
            let r = try await h.call(
                .post,
                "/v1/subscriptions",
                key: h.alpha,
                json: #"{"name": "x", "url": "http://10.0.0.1/", "layers": ["roads"]}"#
            )
            #expect(r.status == .unprocessableContent)
        }
    }

    /// A name from the system's resolver (not `localhost`, which is refused by name) that maps to loopback.
    static func loopbackName() -> String? {
        var candidates = ["ip6-localhost", "ip6-loopback", ProcessInfo.processInfo.hostName]
        if let hosts = try? String(contentsOfFile: "/etc/hosts", encoding: .utf8) {
            for line in hosts.split(separator: "\n") where line.hasPrefix("127.") {
                candidates += line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().map(String.init)
            }
        }
        for name in candidates where !name.isEmpty && !name.hasSuffix("localhost") && IPAddress(name) == nil {
            let addresses = DestinationCheck.resolve(name)
            if !addresses.isEmpty, addresses.allSatisfy({ AddressPolicy().refusal(for: $0) == "loopback" }) {
                return name
            }
        }
        return nil
    }
}
