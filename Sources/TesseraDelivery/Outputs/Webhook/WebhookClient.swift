import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The HTTP/1.1 client under ``WebhookSender``: keep-alive connections per endpoint, one request per
/// connection at a time (no pipelining), everything for a connection on its event loop.
///
/// Why not AsyncHTTPClient: measured on the delivery benchmark it spent about 300 µs of CPU per
/// webhook (its request state machines, the async body streams and the pool's bookkeeping), three
/// times the whole budget at 10,000 deliveries/s on two cores. This client does the one thing webhooks
/// need: write a request whose body is already in memory, read the answer, keep the connection.
/// The wire format is SwiftNIO's (`HTTPRequestEncoder`, the llhttp-based `HTTPResponseDecoder`),
/// TLS is swift-nio-ssl's with the system trust roots.
///
/// An endpoint (scheme, host, port) has one pool per event loop; requests are spread over them in
/// turn, and each pool opens at most its share of the endpoint's connection limit. A request waits in
/// its pool's queue for a free connection; its timeout runs from the moment it was handed over.
final class WebhookClient: Sendable {
    struct Configuration: Sendable {
        var policy: AddressPolicy
        var connectionsPerEndpoint: Int
        var responseBodyLimit: Int
        var connectTimeout: Duration
        var idleTimeout: Duration
    }

    struct Endpoint: Hashable, Sendable {
        var scheme: String
        var host: String
        var port: Int
    }

    let configuration: Configuration
    private let loops: [any EventLoop]
    private let state = Mutex<State>(State())

    private struct State {
        var pools: [Endpoint: [EndpointPool]] = [:]
        var next = 0
        var isShutDown = false
        /// Made with the first `https` endpoint (loading the system trust roots takes a while).
        var tls: Result<NIOSSLContext, any Error>?
    }

    init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) {
        self.configuration = configuration
        self.loops = Array(eventLoopGroup.makeIterator())
    }

    /// Sends one request; `completion` gets the answer or the failure, exactly once, on an event loop
    /// thread (so it must be quick). The dispatcher's path: no task or continuation per request.
    func execute(_ request: WebhookRequest, completion: @escaping @Sendable (WebhookOutcome) -> Void) {
        let endpoint = Endpoint(scheme: request.url.scheme, host: request.url.host, port: request.url.port)
        guard let pool = pool(for: endpoint) else {
            completion(WebhookOutcome(duration: .zero, failure: .clientShutDown))
            return
        }
        pool.eventLoop.execute {
            pool.enqueue(Exchange(request: request, completion: completion))
        }
    }

    private func pool(for endpoint: Endpoint) -> EndpointPool? {
        state.withLock { state in
            if state.isShutDown { return nil }
            state.next &+= 1
            if let pools = state.pools[endpoint] {
                return pools[state.next % pools.count]
            }
            var tls: Result<NIOSSLContext, any Error>?
            if endpoint.scheme == "https" {
                tls = state.tls ?? Result { try NIOSSLContext(configuration: .makeClientConfiguration()) }
                state.tls = tls
            }
            let share = max(1, configuration.connectionsPerEndpoint / loops.count)
            let pools = loops.map {
                EndpointPool(endpoint: endpoint, eventLoop: $0, limit: share, configuration: configuration, tls: tls)
            }
            state.pools[endpoint] = pools
            return pools[state.next % pools.count]
        }
    }

    /// Closes every connection and fails whatever is still waiting; later requests fail at once.
    func shutdown() async {
        let pools = state.withLock { state in
            state.isShutDown = true
            defer { state.pools = [:] }
            return state.pools.values.flatMap { $0 }
        }
        for pool in pools {
            try? await pool.eventLoop.flatSubmit { pool.close() }.get()
        }
    }
}

/// One request from hand-over to answer.
/// `@unchecked Sendable`: created and touched only on its pool's event loop (the timeout closure that
/// captures it runs there too).
final class Exchange: @unchecked Sendable {
    let request: WebhookRequest
    let started = NIODeadline.now()
    private let completion: @Sendable (WebhookOutcome) -> Void
    private(set) var isFinished = false
    var timeout: Scheduled<Void>?
    /// The connection carrying it, once it has one.
    weak var connection: ExchangeHandler?

    init(request: WebhookRequest, completion: @escaping @Sendable (WebhookOutcome) -> Void) {
        self.request = request
        self.completion = completion
    }

    func finish(_ outcome: WebhookOutcome) {
        guard !isFinished else { return }
        isFinished = true
        timeout?.cancel()
        timeout = nil
        var outcome = outcome
        outcome.duration = .nanoseconds((NIODeadline.now() - started).nanoseconds)
        completion(outcome)
    }

    func fail(_ failure: WebhookOutcome.Failure) {
        finish(WebhookOutcome(duration: .zero, failure: failure))
    }
}

/// By identity: the pool's state machine tells exchanges apart by the objects themselves.
extension Exchange: Equatable {
    static func == (lhs: Exchange, rhs: Exchange) -> Bool { lhs === rhs }
}

/// The connections to one endpoint on one event loop, and the requests waiting for one: the I/O around an
/// ``EndpointPoolStateMachine``, which makes every decision. The pool tells the machine what happened (a
/// request handed over, a connect's end, an answer read, a channel closed, a timer fired) and does what
/// it answers (connect, start an exchange, fail, close, schedule or stop the idle sweep).
/// `@unchecked Sendable`: every member is touched only on `eventLoop` (the client hands work over with
/// `eventLoop.execute`); the client only keeps the reference.
final class EndpointPool: @unchecked Sendable {
    typealias StateMachine = EndpointPoolStateMachine<Exchange, ExchangeHandler>

    let endpoint: WebhookClient.Endpoint
    let eventLoop: any EventLoop
    private let configuration: WebhookClient.Configuration
    /// For `https` endpoints only.
    private let tls: Result<NIOSSLContext, any Error>?
    private var state: StateMachine
    private var sweep: RepeatedTask?

    init(
        endpoint: WebhookClient.Endpoint,
        eventLoop: any EventLoop,
        limit: Int,
        configuration: WebhookClient.Configuration,
        tls: Result<NIOSSLContext, any Error>?
    ) {
        self.endpoint = endpoint
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.tls = tls
        self.state = StateMachine(limit: limit, idleTimeout: configuration.idleTimeout)
    }

    func enqueue(_ exchange: Exchange) {
        // Held strongly: finishing the exchange cancels this task, which lets go of it (and a weak capture
        // would cost every exchange a side table).
        exchange.timeout = eventLoop.scheduleTask(in: TimeAmount(exchange.request.timeout)) { [self] in
            guard let connection = exchange.connection else {
                run(state.requestTimedOut(exchange))
                return
            }
            exchange.fail(.timeout)
            // An answer that may still arrive would come on a connection nobody can trust with the next one.
            connection.close()
        }
        run(state.enqueue(exchange))
    }

    /// A connection finished its exchange and can take another.
    func released(_ connection: ExchangeHandler) {
        run(state.released(connection, now: .now))
    }

    /// A connection began to close; it takes no more requests.
    func closing(_ connection: ExchangeHandler) {
        state.connectionClosing(connection)
    }

    func closed(_ connection: ExchangeHandler) {
        run(state.connectionClosed(connection))
    }

    /// Fails what waits and closes every connection; the future completes once they are closed.
    func close() -> EventLoopFuture<Void> {
        let action = state.close()
        guard case .shutDown(let requests, let failure, let connections, let stopIdleSweep) = action else {
            run(action)
            return eventLoop.makeSucceededVoidFuture()
        }
        return shutDown(failing: requests, failure: failure, closing: connections, stopIdleSweep: stopIdleSweep)
    }

    private func run(_ action: StateMachine.Action) {
        switch action {
        case .none:
            break
        case .startRequest(let exchange, let connection):
            connection.start(exchange)
        case .openConnection:
            connect()
        case .failRequest(let exchange, let failure):
            exchange.fail(failure)
        case .failRequests(let exchanges, let failure):
            for exchange in exchanges { exchange.fail(failure) }
        case .closeConnection(let connection):
            connection.close()
        case .scheduleIdleSweep:
            let idleTimeout = TimeAmount(configuration.idleTimeout)
            sweep = eventLoop.scheduleRepeatedTask(initialDelay: idleTimeout, delay: idleTimeout) {
                [weak self] task in
                guard let self else { return task.cancel() }
                self.run(self.state.sweepIdle(now: .now))
            }
        case .closeIdleConnections(let connections, let stopIdleSweep):
            for connection in connections { connection.close() }
            if stopIdleSweep { stopSweep() }
        case .shutDown(let requests, let failure, let connections, let stopIdleSweep):
            _ = shutDown(failing: requests, failure: failure, closing: connections, stopIdleSweep: stopIdleSweep)
        }
    }

    private func shutDown(
        failing requests: [Exchange],
        failure: WebhookOutcome.Failure,
        closing connections: [ExchangeHandler],
        stopIdleSweep: Bool
    ) -> EventLoopFuture<Void> {
        if stopIdleSweep { stopSweep() }
        for exchange in requests { exchange.fail(failure) }
        return EventLoopFuture.andAllComplete(connections.map { $0.close() }, on: eventLoop)
    }

    private func stopSweep() {
        sweep?.cancel()
        sweep = nil
    }

    private func connect() {
        let configuration = self.configuration
        let endpoint = self.endpoint
        let limit = configuration.responseBodyLimit
        let tls = self.tls
        ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                do {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHTTPClientHandlers(leftOverBytesStrategy: .dropBytes)
                    try sync.addHandler(ExchangeHandler(pool: self, responseBodyLimit: limit))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .flatMap { channel -> EventLoopFuture<any Channel> in
                // The address actually connected to, whatever the name resolved to, before any byte
                // (TLS included) is written.
                WebhookClient.checkPeer(of: channel, policy: configuration.policy).flatMapThrowing {
                    if let tls {
                        let handler = try NIOSSLClientHandler(
                            context: try tls.get(),
                            serverHostname: endpoint.host.isIPAddressLiteral ? nil : endpoint.host
                        )
                        try channel.pipeline.syncOperations.addHandler(handler, position: .first)
                    }
                    return channel
                }.flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    throw error
                }
            }
            .hop(to: eventLoop)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    guard let connection = try? channel.pipeline.syncOperations.handler(type: ExchangeHandler.self)
                    else {
                        channel.close(promise: nil)
                        run(state.connectionClosedBeforeUse())
                        return
                    }
                    guard channel.isActive else {
                        run(state.connectionClosedBeforeUse())
                        return
                    }
                    run(state.connectionEstablished(connection, now: .now))
                    // It may have begun closing (a failed TLS handshake) before the machine knew it.
                    if !connection.isOpen { state.connectionClosing(connection) }
                case .failure(let error):
                    run(state.connectFailed(WebhookClient.failure(from: error)))
                }
            }
    }
}

/// One keep-alive connection: sends an exchange's request, reads its answer.
/// It holds its pool (and the pool holds it) until the channel closes.
final class ExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let pool: EndpointPool
    private let responseBodyLimit: Int
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var outcome = WebhookOutcome(duration: .zero)
    private var kept = ByteBuffer()
    private var read = 0
    private var keepAlive = true
    private(set) var isOpen = true

    init(pool: EndpointPool, responseBodyLimit: Int) {
        self.pool = pool
        self.responseBodyLimit = responseBodyLimit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func start(_ exchange: Exchange) {
        guard let context, isOpen else {
            exchange.fail(.transport("connection closed by the receiver"))
            return
        }
        self.exchange = exchange
        exchange.connection = self
        outcome = WebhookOutcome(duration: .zero)
        kept.clear()
        read = 0
        keepAlive = true
        let request = exchange.request
        var headers = request.headers
        headers.replaceOrAdd(name: "Host", value: hostHeader(request.url))
        headers.replaceOrAdd(name: "Content-Length", value: String(request.body.readableBytes))
        let head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.url.target, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func hostHeader(_ url: WebhookURL) -> String {
        let host = url.host.contains(":") ? "[\(url.host)]" : url.host
        let usual = url.scheme == "https" ? 443 : 80
        return url.port == usual ? host : "\(host):\(url.port)"
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else {
            // Bytes nobody asked for: the connection cannot be trusted with the next request.
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            outcome.statusCode = Int(head.status.code)
            outcome.retryAfter = head.headers.first(name: "retry-after")
            keepAlive = head.isKeepAlive
        case .body(var chunk):
            read += chunk.readableBytes
            if kept.readableBytes < responseBodyLimit,
                var slice = chunk.readSlice(length: min(chunk.readableBytes, responseBodyLimit - kept.readableBytes))
            {
                kept.writeBuffer(&slice)
            }
            // A receiver streaming an endless answer does not keep the attempt busy past a bound.
            if read > 1 << 20 {
                complete(exchange)
                close()
            }
        case .end:
            complete(exchange)
            if keepAlive && isOpen {
                pool.released(self)
            } else {
                close()
            }
        }
    }

    private func complete(_ exchange: Exchange) {
        if kept.readableBytes > 0 {
            outcome.responseBody = String(decoding: kept.readableBytesView, as: UTF8.self)
        }
        self.exchange = nil
        exchange.finish(outcome)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        exchange?.fail(WebhookClient.failure(from: error))
        exchange = nil
        close()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        exchange?.fail(.transport("connection closed by the receiver"))
        exchange = nil
        pool.closed(self)
        context.fireChannelInactive()
    }

    @discardableResult
    func close() -> EventLoopFuture<Void> {
        guard let context else { return pool.eventLoop.makeSucceededVoidFuture() }
        if isOpen {
            isOpen = false
            pool.closing(self)
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.close(promise: promise)
        return promise.futureResult.recover { _ in }
    }
}

/// By identity: the pool's state machine tells connections apart by the handler objects themselves.
extension ExchangeHandler: Equatable {
    static func == (lhs: ExchangeHandler, rhs: ExchangeHandler) -> Bool { lhs === rhs }
}

extension String {
    fileprivate var isIPAddressLiteral: Bool { IPAddress(self) != nil }
}
