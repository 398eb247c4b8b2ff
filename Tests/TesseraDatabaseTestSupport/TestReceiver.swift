import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP/1.1 server on loopback standing in for a webhook subscriber. It records every request
/// and answers as its current ``Reply`` function says (200, 500, 410, 429 + Retry-After, slowly, …).
public final class TestReceiver: Sendable {
    public struct Request: Sendable {
        public let method: String
        public let uri: String
        public let headers: [(String, String)]
        public let body: [UInt8]
        public let receivedAt: ContinuousClock.Instant

        public func header(_ name: String) -> String? {
            headers.first(where: { $0.0.lowercased() == name.lowercased() })?.1
        }
    }

    public struct Reply: Sendable {
        public var status: Int = 200
        public var headers: [(String, String)] = []
        public var body: String = "ok"
        public var delay: Duration = .zero

        public init(status: Int = 200, headers: [(String, String)] = [], body: String = "ok", delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }

        public static let ok = Reply()
        public static func status(_ code: Int, headers: [(String, String)] = [], body: String = "") -> Reply {
            Reply(status: code, headers: headers, body: body)
        }
    }

    public typealias Responder = @Sendable (Request) -> Reply

    private let channel: any Channel
    private let box: StateBox
    public let port: Int

    private struct State {
        var requests: [Request] = []
        var responder: Responder
    }

    public var url: String { "http://127.0.0.1:\(port)/hook" }

    private init(channel: any Channel, box: StateBox) {
        self.channel = channel
        self.box = box
        self.port = channel.localAddress!.port!
    }

    /// Starts listening on 127.0.0.1 (a free port, or `port`).
    public static func start(port: Int = 0, responder: @escaping Responder = { _ in .ok }) async throws -> TestReceiver
    {
        let box = StateBox(responder: responder)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        let receiver = TestReceiver(channel: channel, box: box)
        return receiver
    }

    /// Changes how later requests are answered.
    public func respond(_ responder: @escaping Responder) {
        box.state.withLock { $0.responder = responder }
    }

    public var requests: [Request] { box.state.withLock { $0.requests } }
    public var count: Int { box.state.withLock { $0.requests.count } }

    /// Waits until at least `count` requests arrived (or `timeout` passed) and returns all of them.
    @discardableResult
    public func waitFor(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [Request] {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            let current = requests
            if current.count >= count { return current }
            try await Task.sleep(for: .milliseconds(10))
        }
        return requests
    }

    public func stop() async throws {
        try await channel.close()
    }

    // The state lives in a Mutex shared by the server's handlers.
    private final class StateBox: Sendable {
        let state: Mutex<State>
        init(responder: @escaping Responder) { state = Mutex(State(responder: responder)) }
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: NIO confines a handler to its channel's event loop; the mutable fields are only
        // touched there. The class is Sendable only so the delayed reply closure can capture it.
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let box: StateBox
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(box: StateBox) { self.box = box }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let request = Request(
                    method: head.method.rawValue,
                    uri: head.uri,
                    headers: head.headers.map { ($0.name, $0.value) },
                    body: body,
                    receivedAt: .now
                )
                let reply = box.state.withLock { state in
                    state.requests.append(request)
                    return state.responder(request)
                }
                let keepAlive = head.isKeepAlive
                if reply.delay > .zero {
                    let loop = context.eventLoop
                    let bound = NIOLoopBound(context, eventLoop: loop)
                    loop.scheduleTask(in: .init(reply.delay)) {
                        self.write(reply, keepAlive: keepAlive, context: bound.value)
                    }
                } else {
                    write(reply, keepAlive: keepAlive, context: context)
                }
            }
        }

        func write(_ reply: Reply, keepAlive: Bool, context: ChannelHandlerContext) {
            guard context.channel.isActive else { return }
            var headers = HTTPHeaders(reply.headers)
            headers.add(name: "Content-Length", value: String(reply.body.utf8.count))
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            let head = HTTPResponseHead(
                version: .http1_1,
                status: HTTPResponseStatus(statusCode: reply.status),
                headers: headers
            )
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
            let done = context.writeAndFlushPromise()
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
            if !keepAlive {
                let channel = context.channel
                done.futureResult.whenComplete { _ in channel.close(promise: nil) }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushPromise() -> EventLoopPromise<Void> { eventLoop.makePromise() }
}
