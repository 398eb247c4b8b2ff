import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import TesseraPostgres

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
    /// What the attempt got done, for outputs that send a delivery in parts (``PurgeProgress``): stored
    /// with the outcome, read by the next attempt.
    public var progress: [UInt8]?

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

    public var milliseconds: Int { Int(duration.wholeMilliseconds) }

    public var description: String {
        if let statusCode { return "HTTP \(statusCode) in \(milliseconds) ms" }
        return "\(errorDescription ?? "failed") after \(milliseconds) ms"
    }
}

/// Sends webhook requests through one shared ``WebhookClient`` (keep-alive connections per endpoint),
/// enforcing the ``AddressPolicy`` on the address each connection actually reaches.
///
/// How the SSRF check holds against DNS rebinding: the client resolves the name and connects; before
/// a single byte is written (the TLS handshake included), the peer address of the connected socket
/// (`channel.remoteAddress`) is checked and a refused address closes the connection and fails the
/// request with ``AddressPolicyError``. Whatever a name resolved to, the address checked is the one
/// connected to. URLs with an IP literal are refused before connecting.
///
/// Redirects are not followed; bodies are not decompressed. Run it as a `Service` (listed before the
/// services that use it, so it shuts down after them) or call ``shutdown()``.
public final class WebhookSender: Service, Sendable {
    public struct Configuration: Sendable {
        public var policy: AddressPolicy
        /// The `User-Agent` header, `Tessera/<version>`.
        public var userAgent: String
        /// Most keep-alive connections to one endpoint (scheme, host, port).
        public var connectionsPerHost: Int
        /// How much of an answer's body is kept.
        public var responseBodyLimit: Int
        public var connectTimeout: Duration
        /// An unused connection is closed after this long.
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
    let client: WebhookClient

    public init(
        configuration: Configuration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "tessera.webhooks")
    ) {
        self.configuration = configuration
        self.client = WebhookClient(
            configuration: .init(
                policy: configuration.policy,
                connectionsPerEndpoint: configuration.connectionsPerHost,
                responseBodyLimit: configuration.responseBodyLimit,
                connectTimeout: configuration.connectTimeout,
                idleTimeout: configuration.idleTimeout
            ),
            eventLoopGroup: eventLoopGroup
        )
    }

    /// Sends one request and reports the outcome; never throws.
    public func send(_ request: WebhookRequest) async -> WebhookOutcome {
        await withCheckedContinuation { continuation in
            send(request) { continuation.resume(returning: $0) }
        }
    }

    /// Sends one request; `completion` gets the outcome exactly once, on an event loop thread (keep it
    /// short: no blocking, no waiting).
    public func send(_ request: WebhookRequest, completion: @escaping @Sendable (WebhookOutcome) -> Void) {
        if let address = request.url.address {
            do {
                try configuration.policy.check(address)
            } catch {
                completion(WebhookOutcome(duration: .zero, failure: .refused(error)))
                return
            }
        }
        var request = request
        if !request.headers.contains(name: "user-agent") {
            request.headers.add(name: "User-Agent", value: configuration.userAgent)
        }
        client.execute(request) { outcome in
            var outcome = outcome
            // A timed-out exchange is a failure even when a status line had arrived.
            if outcome.failure == .timeout { outcome.statusCode = nil }
            completion(outcome)
        }
    }

    /// Waits for graceful shutdown, then shuts the client down.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Closes every pooled connection; safe to call more than once.
    public func shutdown() async throws {
        await client.shutdown()
    }
}
