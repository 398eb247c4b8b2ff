import Logging
import NIOCore
import NIOPosix
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// TCP keep-alive for a database connection: how a server that vanished without closing the socket
/// (a host that lost power, a dropped network path) is noticed while the connection waits.
public struct KeepAlive: Sendable, Hashable {
    /// Silence before the first probe.
    public var idle: Duration
    /// Between probes.
    public var interval: Duration
    /// Unanswered probes before the kernel resets the connection.
    public var probes: Int
    /// How long sent data may stay unacknowledged before the kernel resets the connection
    /// (`TCP_USER_TIMEOUT`; covers a server that vanished while a query was being sent).
    public var unacknowledged: Duration

    /// A silent peer is found within about 10 s of the last byte: probes from 5 s of silence, 2 s apart.
    /// (On Linux `TCP_USER_TIMEOUT` also bounds unanswered probes, so it, not the probe count, decides.)
    public static let standard = KeepAlive(
        idle: .seconds(5),
        interval: .seconds(2),
        probes: 3,
        unacknowledged: .seconds(10)
    )

    /// The socket options that set it, as (level, name, value).
    var socketOptions: [(level: CInt, name: CInt, value: CInt)] {
        func seconds(_ d: Duration) -> CInt { CInt(max(1, d.components.seconds)) }
        let ms = unacknowledged.wholeMilliseconds
        #if os(Linux)
            return [
                (SOL_SOCKET, SO_KEEPALIVE, 1),
                (CInt(IPPROTO_TCP), TCP_KEEPIDLE, seconds(idle)),
                (CInt(IPPROTO_TCP), TCP_KEEPINTVL, seconds(interval)),
                (CInt(IPPROTO_TCP), TCP_KEEPCNT, CInt(probes)),
                (CInt(IPPROTO_TCP), CInt(TCP_USER_TIMEOUT), CInt(ms)),
            ]
        #else
            return [(SOL_SOCKET, SO_KEEPALIVE, 1)]
        #endif
    }
}

extension DatabaseURL {
    /// Opens one connection. Over TCP the socket is made here, with ``KeepAlive`` and no Nagle delay,
    /// and handed to postgres-nio (whose own connect sets no keep-alive: a query waiting on a server
    /// that vanished would wait for ever). A Unix socket needs none: its peer cannot vanish unseen.
    public func connect(
        id: Int,
        keepAlive: KeepAlive = .standard,
        connectTimeout: Duration = .seconds(10),
        logger: Logger
    ) async throws -> PostgresConnection {
        let configuration = try connectionConfiguration()
        guard socketFolder == nil else {
            return try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        }
        let channel = try await makeChannel(keepAlive: keepAlive, connectTimeout: connectTimeout)
        var established = PostgresConnection.Configuration(
            establishedChannel: channel,
            tls: configuration.tls,
            username: username,
            password: password,
            database: database
        )
        established.options = configuration.options
        // postgres-nio takes the TLS server name (SNI, and the name the certificate must carry) from the
        // host it connects to; over an established channel it knows none, so it is named here.
        established.options.tlsServerName = tlsServerName
        do {
            // The handshake runs on the channel's own event loop.
            return try await PostgresConnection.connect(
                on: channel.eventLoop,
                configuration: established,
                id: id,
                logger: logger
            )
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// The name TLS asks for and verifies: the host, unless it is an IP address (not valid in SNI; the
    /// certificate is then checked against the address).
    var tlsServerName: String? {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return (try? SocketAddress(ipAddress: bare, port: 0)) == nil ? host : nil
    }

    /// A connected TCP channel to the server with `keepAlive` set. Public for tests.
    public func makeChannel(keepAlive: KeepAlive = .standard, connectTimeout: Duration = .seconds(10)) async throws
        -> any Channel
    {
        var bootstrap = ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        for option in keepAlive.socketOptions {
            bootstrap = bootstrap.channelOption(
                ChannelOptions.Types.SocketOption(
                    level: NIOBSDSocket.OptionLevel(rawValue: option.level),
                    name: NIOBSDSocket.Option(rawValue: option.name)
                ),
                value: Int(option.value)
            )
        }
        return try await bootstrap.connect(host: host, port: port).get()
    }
}
