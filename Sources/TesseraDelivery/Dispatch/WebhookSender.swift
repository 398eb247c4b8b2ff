import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// One webhook call, ready to send: URL already validated, headers (signature included) set.
public struct WebhookRequest: Sendable {
    public var url: WebhookURL
    public var method: HTTPMethod
    public var headers: HTTPHeaders
    public var body: ByteBuffer
    /// Success is a 2xx answer, headers and body, within this time.
    public var timeout: Duration

    public init(url: WebhookURL, method: HTTPMethod = .POST, headers: HTTPHeaders, body: ByteBuffer, timeout: Duration)
    {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// What one attempt produced: the receiver's answer, or why there was none.
public struct WebhookOutcome: Sendable, CustomStringConvertible {
    public enum Failure: Sendable, Hashable {
        /// The address connected to (or the URL's literal address) is not allowed.
        case refused(AddressPolicyError)
        /// No complete answer within the timeout.
        case timeout
        /// Connecting, TLS, or the exchange itself failed.
        case transport(String)
    }

    /// The HTTP status, when an answer arrived.
    public var statusCode: Int?
    /// From the start of the call to the end of the answer's body (or the failure).
    public var duration: Duration
    /// The first bytes of the answer's body, decoded as UTF-8 with replacement characters.
    public var responseBody: String?
    /// The answer's `Retry-After` header, verbatim.
    public var retryAfter: String?
    public var failure: Failure?

    public init(
        statusCode: Int? = nil,
        duration: Duration,
        responseBody: String? = nil,
        retryAfter: String? = nil,
        failure: Failure? = nil
    ) {
        self.statusCode = statusCode
        self.duration = duration
        self.responseBody = responseBody
        self.retryAfter = retryAfter
        self.failure = failure
    }

    /// A 2xx answer. Redirects (3xx) are not followed and count as failures.
    public var isSuccess: Bool { statusCode.map { (200..<300).contains($0) } ?? false }

    /// A human-readable failure (for `last_error` and the attempt log), nil on success.
    public var errorDescription: String? {
        switch failure {
        case .refused(let error): return error.description
        case .timeout: return "timed out"
        case .transport(let text): return text
        case nil:
            if let code = statusCode, !isSuccess { return "HTTP \(code)" }
            return nil
        }
    }

    public var milliseconds: Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    public var description: String {
        if let statusCode { return "HTTP \(statusCode) in \(milliseconds) ms" }
        return "\(errorDescription ?? "failed") after \(milliseconds) ms"
    }
}

/// Sends webhook requests through one shared `HTTPClient` (a keep-alive pool per host), enforcing the
/// ``AddressPolicy`` on the address each connection actually reaches.
///
/// How the SSRF check holds against DNS rebinding: AsyncHTTPClient resolves names itself and offers no
/// resolver hook, but it calls `http1_1ConnectionDebugInitializer` with every new connection's channel
/// after the TCP connect (and TLS handshake) and before the connection enters the pool, so before any
/// request byte is written. There the peer address (`channel.remoteAddress`) is checked; a refused
/// address closes the channel and fails the request with ``AddressPolicyError``. Whatever a name
/// resolved to, the address checked is the one connected to. URLs with an IP literal (or `localhost`)
/// are refused before connecting. Only HTTP/1.1 is used, so no other connection path exists.
///
/// Redirects are not followed; bodies are not decompressed. Run it as a `Service` (listed before the
/// services that use it, so it shuts down after them) or call ``shutdown()``.
public final class WebhookSender: Service, Sendable {
    public struct Configuration: Sendable {
        public var policy: AddressPolicy
        /// The `User-Agent` header, `Tessera/<version>`.
        public var userAgent: String
        /// Keep-alive connections per host (AsyncHTTPClient's soft limit).
        public var connectionsPerHost: Int
        /// How much of an answer's body is kept.
        public var responseBodyLimit: Int
        public var connectTimeout: Duration
        public var idleTimeout: Duration

        public init(
            policy: AddressPolicy = AddressPolicy(),
            userAgent: String = "Tessera",
            connectionsPerHost: Int = 32,
            responseBodyLimit: Int = 1024,
            connectTimeout: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(60)
        ) {
            self.policy = policy
            self.userAgent = userAgent
            self.connectionsPerHost = connectionsPerHost
            self.responseBodyLimit = responseBodyLimit
            self.connectTimeout = connectTimeout
            self.idleTimeout = idleTimeout
        }
    }

    public let configuration: Configuration
    public let client: HTTPClient
    private let logger: Logger

    public init(
        configuration: Configuration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "tessera.webhooks")
    ) {
        self.configuration = configuration
        self.logger = logger
        var http = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .init(configuration.connectTimeout)),
            connectionPool: .init(
                idleTimeout: .init(configuration.idleTimeout),
                concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.connectionsPerHost
            ),
            ignoreUncleanSSLShutdown: false,
            decompression: .disabled
        )
        http.httpVersion = .http1Only
        // Our own retry policy decides when to try again; a failed or refused connect fails the request.
        http.connectionPool.retryConnectionEstablishment = false
        let policy = configuration.policy
        http.http1_1ConnectionDebugInitializer = { channel in
            WebhookSender.checkPeer(of: channel, policy: policy)
        }
        self.client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: http)
    }

    /// Fails (and closes the channel) unless its peer address is allowed.
    static func checkPeer(of channel: any Channel, policy: AddressPolicy) -> EventLoopFuture<Void> {
        let peer = channel.remoteAddress
        let address = peer?.ipAddress.flatMap { IPAddress($0) }
        let error: AddressPolicyError?
        if let address {
            do {
                try policy.check(address)
                error = nil
            } catch let refusal {
                error = refusal
            }
        } else {
            error = AddressPolicyError(
                .addressRefused,
                subject: "\(peer.map { "\($0)" } ?? "unknown peer")",
                reason: "not an IP peer"
            )
        }
        guard let error else { return channel.eventLoop.makeSucceededVoidFuture() }
        return channel.close().flatMapErrorThrowing { _ in }.flatMapThrowing { throw error }
    }

    /// Sends one request and reports the outcome; never throws. Cancellation ends the call as a transport failure.
    public func send(_ request: WebhookRequest) async -> WebhookOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        if let address = request.url.address {
            do {
                try configuration.policy.check(address)
            } catch {
                return WebhookOutcome(duration: .zero, failure: .refused(error))
            }
        }
        var http = HTTPClientRequest(url: request.url.text)
        http.method = request.method
        http.headers = request.headers
        if !http.headers.contains(name: "user-agent") {
            http.headers.add(name: "User-Agent", value: configuration.userAgent)
        }
        http.body = .bytes(request.body)
        var outcome = WebhookOutcome(duration: .zero)
        do {
            let deadline = NIODeadline.now() + .init(request.timeout)
            let response = try await client.execute(http, deadline: deadline, logger: logger)
            outcome.statusCode = Int(response.status.code)
            outcome.retryAfter = response.headers.first(name: "retry-after")
            var kept = ByteBuffer()
            let limit = configuration.responseBodyLimit
            var read = 0
            for try await var chunk in response.body {
                read += chunk.readableBytes
                if kept.readableBytes < limit,
                    let slice = chunk.readSlice(length: min(chunk.readableBytes, limit - kept.readableBytes))
                {
                    var slice = slice
                    kept.writeBuffer(&slice)
                }
                // A receiver streaming an endless answer does not keep the attempt busy past a bound.
                if read > 1 << 20 { break }
            }
            if kept.readableBytes > 0 {
                outcome.responseBody = String(decoding: kept.readableBytesView, as: UTF8.self)
            }
        } catch {
            outcome.failure = WebhookSender.failure(from: error)
            // A timed-out exchange is a failure even when a status line had arrived.
            if outcome.failure == .timeout { outcome.statusCode = nil }
        }
        outcome.duration = clock.now - start
        return outcome
    }

    static func failure(from error: any Error) -> WebhookOutcome.Failure {
        if let refusal = error as? AddressPolicyError {
            return .refused(refusal)
        }
        if let http = error as? HTTPClientError {
            switch http {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return .timeout
            case .connectTimeout:
                return .transport("connect timed out")
            case .remoteConnectionClosed:
                return .transport("connection closed by the receiver")
            default:
                return .transport(http.description)
            }
        }
        if let channel = error as? ChannelError, case .connectTimeout = channel {
            return .transport("connect timed out")
        }
        if error is CancellationError {
            return .transport("cancelled")
        }
        if let io = error as? IOError {
            return .transport(io.description)
        }
        return .transport(String(describing: error))
    }

    /// Waits for graceful shutdown, then shuts the client down.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Closes every pooled connection; safe to call more than once.
    public func shutdown() async throws {
        do {
            try await client.shutdown()
        } catch let error as HTTPClientError where error == .alreadyShutdown {
            return
        }
    }
}
