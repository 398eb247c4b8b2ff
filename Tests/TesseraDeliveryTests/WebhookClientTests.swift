import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing

@testable import TesseraDelivery

/// The webhook client's connection handling against a scripted raw TCP server: keep-alive reuse, the
/// framings an answer may use, receivers that close or hang, the per-endpoint connection limit.
@Suite struct WebhookClientTests {
    static let loopback = try! AddressPolicy(allowing: ["127.0.0.0/8"])

    /// One event loop, so one pool per endpoint (each loop has its own connections to an endpoint) and
    /// connection counts that do not depend on the machine's cores. Lives as long as the test process.
    static let oneLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// The idle timeout is long by default: a test starved of CPU for a while (the whole suite runs in
    /// parallel on two cores) must not see its keep-alive connection swept away between two requests.
    static func sender(
        connections: Int = 8,
        idleTimeout: Duration = .seconds(3600),
        group: any EventLoopGroup = oneLoop
    ) -> WebhookSender {
        WebhookSender(
            configuration: .init(
                policy: loopback,
                userAgent: "Tessera/test",
                connectionsPerHost: connections,
                idleTimeout: idleTimeout
            ),
            eventLoopGroup: group
        )
    }

    static func post(_ sender: WebhookSender, _ server: RawServer, timeout: Duration = .seconds(5)) async throws
        -> WebhookOutcome
    {
        let url = try loopback.checkURL("http://127.0.0.1:\(server.port)/hook?x=1")
        return await sender.send(
            WebhookRequest(url: url, headers: [:], body: ByteBuffer(string: "{\"n\":1}"), timeout: timeout)
        )
    }

    static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    @Test func reusesOneKeepAliveConnection() async throws {
        let server = try await RawServer.start { _ in .reply(Self.ok) }
        let sender = Self.sender()
        for _ in 0..<20 {
            let outcome = try await Self.post(sender, server)
            #expect(outcome.statusCode == 200)
            #expect(outcome.responseBody == "ok")
        }
        #expect(server.connections == 1)
        let request = try #require(server.requests.first)
        #expect(request.hasPrefix("POST /hook?x=1 HTTP/1.1\r\n"))
        #expect(request.lowercased().contains("host: 127.0.0.1:\(server.port)\r\n"))
        #expect(request.lowercased().contains("content-length: 7\r\n"))
        #expect(request.hasSuffix("\r\n\r\n{\"n\":1}"))
        try await sender.shutdown()
        try await server.stop()
    }

    @Test func idleConnectionsAreClosedAndReplaced() async throws {
        let server = try await RawServer.start { _ in .reply(Self.ok) }
        let sender = Self.sender(idleTimeout: .milliseconds(100))
        #expect(try await Self.post(sender, server).statusCode == 200)
        // Swept between one and two idle timeouts after its answer.
        #expect(try await server.waitForClosed(1))
        #expect(try await Self.post(sender, server).statusCode == 200)
        #expect(server.connections == 2)
        try await sender.shutdown()
        try await server.stop()
    }

    @Test func readsChunkedAndCloseDelimitedAnswers() async throws {
        let server = try await RawServer.start { index in
            switch index {
            case 0:
                .reply("HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n")
            case 1: .reply("HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\nbroken", thenClose: true)
            default: .reply(Self.ok)
            }
        }
        let sender = Self.sender()
        let chunked = try await Self.post(sender, server)
        #expect(chunked.statusCode == 202)
        #expect(chunked.responseBody == "abcdefg")
        let closing = try await Self.post(sender, server)
        #expect(closing.statusCode == 500)
        #expect(closing.responseBody == "broken")
        // The receiver said it would close: the next request opens a new connection.
        let next = try await Self.post(sender, server)
        #expect(next.statusCode == 200)
        #expect(server.connections == 2)
        try await sender.shutdown()
        try await server.stop()
    }

    @Test func aConnectionClosedBeforeTheAnswerFailsOnlyThatAttempt() async throws {
        let server = try await RawServer.start { index in index == 0 ? .close : .reply(Self.ok) }
        let sender = Self.sender()
        let first = try await Self.post(sender, server)
        #expect(first.failure == .transport("connection closed by the receiver"))
        #expect(first.statusCode == nil)
        let second = try await Self.post(sender, server)
        #expect(second.statusCode == 200)
        try await sender.shutdown()
        try await server.stop()
    }

    @Test func aMalformedAnswerIsATransportFailure() async throws {
        let server = try await RawServer.start { _ in .reply("SMTP ready\r\n\r\n", thenClose: true) }
        let sender = Self.sender()
        let outcome = try await Self.post(sender, server)
        guard case .transport(let reason) = outcome.failure else {
            Issue.record("expected a transport failure, got \(outcome)")
            return
        }
        #expect(reason.hasPrefix("malformed HTTP answer"))
        try await sender.shutdown()
        try await server.stop()
    }

    @Test func aTimedOutExchangeClosesItsConnection() async throws {
        let server = try await RawServer.start { index in index == 0 ? .hang : .reply(Self.ok) }
        let sender = Self.sender()
        let slow = try await Self.post(sender, server, timeout: .milliseconds(200))
        #expect(slow.failure == .timeout)
        #expect(slow.duration < .seconds(2))
        // The late answer could never be matched to a request: that connection is gone, a new one serves.
        let next = try await Self.post(sender, server)
        #expect(next.statusCode == 200)
        #expect(server.connections == 2)
        #expect(try await server.waitForClosed(1))
        try await sender.shutdown()
        try await server.stop()
    }

    @Test func holdsTheConnectionLimitAndQueuesTheRest() async throws {
        let server = try await RawServer.start(delay: .milliseconds(20)) { _ in .reply(Self.ok) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let sender = Self.sender(connections: 2, group: group)
        let outcomes = try await withThrowingTaskGroup(of: WebhookOutcome.self) { group in
            for _ in 0..<40 { group.addTask { try await Self.post(sender, server) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.count == 40)
        #expect(outcomes.allSatisfy { $0.statusCode == 200 })
        #expect(server.connections <= 2)
        #expect(server.requests.count == 40)
        try await sender.shutdown()
        try await server.stop()
        try await group.shutdownGracefully()
    }

    @Test func verifiesTheReceiversCertificate() async throws {
        let tls = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: [
                    .certificate(
                        try NIOSSLCertificate(bytes: Array(SelfSignedCertificate.certificate.utf8), format: .pem)
                    )
                ],
                privateKey: .privateKey(
                    try NIOSSLPrivateKey(bytes: Array(SelfSignedCertificate.privateKey.utf8), format: .pem)
                )
            )
        )
        let server = try await RawServer.start(tls: tls) { _ in .reply(Self.ok) }
        let sender = Self.sender()
        let url = try Self.loopback.checkURL("https://127.0.0.1:\(server.port)/hook")
        let outcome = await sender.send(
            WebhookRequest(url: url, headers: [:], body: ByteBuffer(string: "{}"), timeout: .seconds(5))
        )
        // A certificate no trust root vouches for ends the attempt before any request byte is sent.
        guard case .transport(let reason) = outcome.failure else {
            Issue.record("expected a TLS failure, got \(outcome)")
            return
        }
        #expect(reason == "TLS handshake failed: CERTIFICATE_VERIFY_FAILED")
        #expect(server.requests.isEmpty)
        try await sender.shutdown()
        try await server.stop()
    }

    @Test func requestsAfterShutdownFailCleanly() async throws {
        let server = try await RawServer.start { _ in .reply(Self.ok) }
        let sender = Self.sender()
        #expect(try await Self.post(sender, server).statusCode == 200)
        try await sender.shutdown()
        let late = try await Self.post(sender, server)
        #expect(late.failure == .transport("the webhook client is shut down"))
        try await server.stop()
    }
}

/// A TCP server that reads HTTP/1.1 requests with a Content-Length body and answers each with raw
/// bytes from a script (by request number across all connections), or closes, or never answers.
final class RawServer: Sendable {
    enum Action: Sendable {
        case reply(String, thenClose: Bool = false)
        case close
        case hang
    }

    /// What the server saw, shared with its connections.
    private final class Recorder: Sendable {
        struct State {
            var requests: [String] = []
            var connections = 0
            var closed = 0
        }
        let state = Mutex(State())

        func opened() { state.withLock { $0.connections += 1 } }
        func closed() { state.withLock { $0.closed += 1 } }
        func received(_ request: String) -> Int {
            state.withLock { state in
                state.requests.append(request)
                return state.requests.count - 1
            }
        }
    }

    private let channel: any Channel
    private let recorder: Recorder
    let port: Int

    private init(channel: any Channel, recorder: Recorder) {
        self.channel = channel
        self.recorder = recorder
        self.port = channel.localAddress?.port ?? 0
    }

    var requests: [String] { recorder.state.withLock { $0.requests } }
    var connections: Int { recorder.state.withLock { $0.connections } }

    static func start(
        delay: Duration = .zero,
        tls: NIOSSLContext? = nil,
        script: @escaping @Sendable (Int) -> Action
    ) async throws -> RawServer {
        let recorder = Recorder()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(
                        Connection(recorder: recorder, script: script, delay: TimeAmount(delay))
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return RawServer(channel: channel, recorder: recorder)
    }

    func waitForClosed(_ count: Int) async throws -> Bool {
        for _ in 0..<100 {
            if recorder.state.withLock({ $0.closed >= count }) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func stop() async throws {
        try await channel.close()
    }

    private final class Connection: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let recorder: Recorder
        let script: @Sendable (Int) -> Action
        let delay: TimeAmount
        // Bytes of the request being read; touched only on the channel's event loop.
        nonisolated(unsafe) var pending: [UInt8] = []

        init(recorder: Recorder, script: @escaping @Sendable (Int) -> Action, delay: TimeAmount) {
            self.recorder = recorder
            self.script = script
            self.delay = delay
        }

        func channelActive(context: ChannelHandlerContext) {
            recorder.opened()
        }

        func channelInactive(context: ChannelHandlerContext) {
            recorder.closed()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pending += Array(buffer: unwrapInboundIn(data))
            while let request = takeRequest() {
                let index = recorder.received(request)
                let action = script(index)
                let loop = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: delay) {
                    let context = loop.value
                    switch action {
                    case .reply(let bytes, let thenClose):
                        context.writeAndFlush(NIOAny(ByteBuffer(string: bytes)), promise: nil)
                        if thenClose { context.close(promise: nil) }
                    case .close:
                        context.close(promise: nil)
                    case .hang:
                        break
                    }
                }
            }
        }

        /// One whole request (head and Content-Length body) off the front of `pending`, as text.
        private func takeRequest() -> String? {
            let separator: [UInt8] = Array("\r\n\r\n".utf8)
            guard let end = pending.indices.first(where: { pending[$0...].starts(with: separator) }) else {
                return nil
            }
            let head = String(decoding: pending[..<end], as: UTF8.self)
            let length =
                head.lowercased().split(separator: "\r\n")
                .first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            let total = end + separator.count + length
            guard pending.count >= total else { return nil }
            let request = String(decoding: pending[..<total], as: UTF8.self)
            pending.removeFirst(total)
            return request
        }
    }
}
