import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TesseraDatabaseTestSupport
import Testing

@testable import TesseraDelivery

@Suite struct WebhookSenderTests {
    static let loopback = try! AddressPolicy(allowing: ["127.0.0.0/8", "::1"])

    static func withSender<T>(policy: AddressPolicy = loopback, _ body: (WebhookSender) async throws -> T) async throws
        -> T
    {
        let sender = WebhookSender(configuration: .init(policy: policy, userAgent: "Tessera/test"))
        do {
            let result = try await body(sender)
            try await sender.shutdown()
            return result
        } catch {
            try? await sender.shutdown()
            throw error
        }
    }

    @Test func sendsSignedRequestsTheReceiverCanVerify() async throws {
        let receiver = try await TestReceiver.start()
        defer { Task { try? await receiver.stop() } }
        let secret = WebhookSecret.generate()
        let body = ByteBuffer(bytes: Array(repeating: 0xAB, count: 300))  // binary: what compressed bodies look like
        let outcome = try await Self.withSender { sender in
            let url = try Self.loopback.checkURL(receiver.url)
            let headers = WebhookHeaders.make(
                eventID: "evt-1",
                timestamp: 1_700_000_000,
                body: body,
                contentType: "application/x-protobuf",
                contentEncoding: "zstd",
                attempt: 2,
                userAgent: "Tessera/test",
                custom: [("X-Team", "maps")],
                signer: WebhookSigner(secrets: [secret])
            )
            return await sender.send(
                WebhookRequest(url: url, method: .PUT, headers: headers, body: body, timeout: .seconds(5))
            )
        }
        #expect(outcome.isSuccess)
        #expect(outcome.responseBody == "ok")
        let request = try #require(receiver.requests.first)
        #expect(request.method == "PUT")
        #expect(request.body == Array(repeating: 0xAB, count: 300))
        #expect(request.header("webhook-id") == "evt-1")
        #expect(request.header("tessera-attempt") == "2")
        #expect(request.header("content-encoding") == "zstd")
        #expect(request.header("user-agent") == "Tessera/test")
        #expect(request.header("x-team") == "maps")
        // Recomputed independently from the bytes received.
        let signature = try #require(request.header("webhook-signature"))
        #expect(
            signature
                == HMACReference.signature(
                    secret: secret.bytes,
                    id: "evt-1",
                    timestamp: "1700000000",
                    body: request.body
                )
        )
    }

    @Test func refusesLoopbackByNameAtConnectTime() async throws {
        let receiver = try await TestReceiver.start()
        defer { Task { try? await receiver.stop() } }
        let outcome = try await Self.withSender(policy: AddressPolicy()) { sender in
            // Built without the URL pre-check: the name is only resolved, and refused, when connecting.
            let url = try WebhookURL("http://localhost:\(receiver.port)/hook")
            return await sender.send(
                WebhookRequest(
                    url: url,
                    headers: ["webhook-id": "x"],
                    body: ByteBuffer(string: "{}"),
                    timeout: .seconds(5)
                )
            )
        }
        guard case .refused(let error) = outcome.failure else {
            Issue.record("expected a refusal, got \(outcome)")
            return
        }
        #expect(error.description.contains("loopback"))
        #expect(!outcome.isSuccess)
        #expect(receiver.count == 0)
    }

    @Test func allowListedNamesAreSent() async throws {
        let receiver = try await TestReceiver.start()
        defer { Task { try? await receiver.stop() } }
        let outcome = try await Self.withSender { sender in
            let url = try Self.loopback.checkURL("http://localhost:\(receiver.port)/hook")
            return await sender.send(
                WebhookRequest(url: url, headers: [:], body: ByteBuffer(string: "{}"), timeout: .seconds(5))
            )
        }
        #expect(outcome.isSuccess)
        #expect(receiver.count == 1)
    }

    @Test func refusesLiteralPrivateAddressesWithoutConnecting() async throws {
        let outcome = try await Self.withSender(policy: AddressPolicy()) { sender in
            let url = try WebhookURL("http://169.254.169.254/latest/meta-data")
            return await sender.send(WebhookRequest(url: url, headers: [:], body: ByteBuffer(), timeout: .seconds(5)))
        }
        guard case .refused(let error) = outcome.failure else {
            Issue.record("expected a refusal, got \(outcome)")
            return
        }
        #expect(error.description.contains("metadata"))
    }

    @Test func doesNotFollowRedirects() async throws {
        let receiver = try await TestReceiver.start { request in
            .status(302, headers: [("Location", "/elsewhere")])
        }
        defer { Task { try? await receiver.stop() } }
        let outcome = try await Self.withSender { sender in
            let url = try Self.loopback.checkURL(receiver.url)
            return await sender.send(
                WebhookRequest(url: url, headers: [:], body: ByteBuffer(string: "{}"), timeout: .seconds(5))
            )
        }
        #expect(outcome.statusCode == 302)
        #expect(!outcome.isSuccess)
        #expect(receiver.count == 1)
    }

    @Test func slowAnswersTimeOut() async throws {
        let receiver = try await TestReceiver.start { _ in
            var reply = TestReceiver.Reply.ok
            reply.delay = .seconds(3)
            return reply
        }
        defer { Task { try? await receiver.stop() } }
        let outcome = try await Self.withSender { sender in
            let url = try Self.loopback.checkURL(receiver.url)
            return await sender.send(
                WebhookRequest(url: url, headers: [:], body: ByteBuffer(string: "{}"), timeout: .milliseconds(200))
            )
        }
        #expect(outcome.failure == .timeout)
        #expect(outcome.statusCode == nil)
        #expect(outcome.duration < .seconds(2))
    }

    @Test func keepsOnlyTheStartOfLongAnswers() async throws {
        let receiver = try await TestReceiver.start { _ in
            .status(500, body: String(repeating: "x", count: 5000))
        }
        defer { Task { try? await receiver.stop() } }
        let outcome = try await Self.withSender { sender in
            let url = try Self.loopback.checkURL(receiver.url)
            return await sender.send(
                WebhookRequest(url: url, headers: [:], body: ByteBuffer(string: "{}"), timeout: .seconds(5))
            )
        }
        #expect(outcome.statusCode == 500)
        #expect(outcome.responseBody?.utf8.count == 1024)
        #expect(outcome.errorDescription == "HTTP 500")
    }

    @Test func reportsAReceiverThatIsDown() async throws {
        let receiver = try await TestReceiver.start()
        let port = receiver.port
        try await receiver.stop()
        let outcome = try await Self.withSender { sender in
            let url = try Self.loopback.checkURL("http://127.0.0.1:\(port)/hook")
            return await sender.send(
                WebhookRequest(url: url, headers: [:], body: ByteBuffer(string: "{}"), timeout: .seconds(5))
            )
        }
        guard case .transport = outcome.failure else {
            Issue.record("expected a transport failure, got \(outcome)")
            return
        }
    }
}

/// HMAC-SHA256 written out from FIPS 198-1 over a plain SHA-256 (not swift-crypto), so that signatures
/// are recomputed independently of the code under test.
enum HMACReference {
    static func signature(secret: [UInt8], id: String, timestamp: String, body: [UInt8]) -> String {
        "v1," + Data(hmac(key: secret, message: Array("\(id).\(timestamp).".utf8) + body)).base64EncodedString()
    }

    static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var key = key.count > 64 ? sha256(key) : key
        key += Array(repeating: 0, count: 64 - key.count)
        let inner = sha256(key.map { $0 ^ 0x36 } + message)
        return sha256(key.map { $0 ^ 0x5c } + inner)
    }

    static func sha256(_ message: [UInt8]) -> [UInt8] {
        let k: [UInt32] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
        ]
        var h: [UInt32] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        ]
        var data = message + [0x80]
        while data.count % 64 != 56 { data.append(0) }
        let bits = UInt64(message.count) * 8
        for shift in stride(from: 56, through: 0, by: -8) {
            data.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for chunk in stride(from: 0, to: data.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 64)
            for i in 0..<16 {
                w[i] = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(data[chunk + i * 4 + $1]) }
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            h = zip(h, [a, b, c, d, e, f, g, hh]).map { $0 &+ $1 }
        }
        return h.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - $0 * 8)) } }
    }
}
