import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import TesseraDatabaseTestSupport
import Testing

@testable import TesseraPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// A connection whose server went away fails what waits on it at once, instead of at the deadline.
@Suite struct ConnectionCloseTests {
    static let logger = Logger(label: "close-tests")

    /// Ends the session `pid` from another connection, as a database restart or an operator would.
    static func terminate(_ pid: Int32, on db: TestDatabase) async throws {
        #expect(try await db.int("SELECT count(*)::int FROM (SELECT pg_terminate_backend(\(pid))) t") == 1)
    }

    @Test func aTransactionBetweenStatementsFailsAtOnceWhenTheServerClosesTheConnection() async throws {
        try await TestDatabase.with { db in
            var connection = DedicatedConnection(url: db.url, deadline: .seconds(20), logger: Self.logger)
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: ConnectionClosed.self) {
                try await connection.withTransaction { c in
                    let pid = try await c.query("SELECT pg_backend_pid()", logger: Self.logger)
                        .collect().first!.decode(Int32.self)
                    try await Self.terminate(pid, on: db)
                    // Work between statements (the processor's cover computation): the server closes
                    // the connection meanwhile.
                    try await Task.sleep(for: .milliseconds(300))
                    return try await c.perform("SELECT 1", logger: Self.logger)
                }
            }
            let waited = clock.now - start
            #expect(error != nil)
            // Without the close signal, the statement after the close waits for the 20 s deadline.
            #expect(waited < .seconds(10), "waited \(waited) for a closed connection")
            // The next transaction connects afresh.
            let one = try await connection.withTransaction { c in
                try await c.query("SELECT 1", logger: Self.logger).collect().first!.decode(Int.self)
            }
            #expect(one == 1)
            connection.close()
        }
    }

    @Test func tlsNamesTheHostUnlessItIsAnAddress() throws {
        #expect(try DatabaseURL("postgres://u@db.example.com/x").tlsServerName == "db.example.com")
        #expect(try DatabaseURL("postgres://u@10.0.0.7:5433/x").tlsServerName == nil)
        #expect(try DatabaseURL("postgres://u@[::1]:5433/x").tlsServerName == nil)
    }

    @Test func aStatementInFlightFailsAtOnceWhenTheServerClosesTheConnection() async throws {
        try await TestDatabase.with { db in
            var connection = DedicatedConnection(url: db.url, deadline: .seconds(20), logger: Self.logger)
            let pid = try await connection.withTransaction { c in
                try await c.query("SELECT pg_backend_pid()", logger: Self.logger).collect().first!.decode(Int32.self)
            }
            let killer = Task {
                try await Task.sleep(for: .milliseconds(300))
                try await Self.terminate(pid, on: db)
            }
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: (any Error).self) {
                try await connection.withTransaction { c in
                    try await c.perform("SELECT pg_sleep(30)", logger: Self.logger)
                }
            }
            #expect(clock.now - start < .seconds(10))
            try await killer.value
            connection.close()
        }
    }

    @Test func anArmedSignalFiresOnceWhenTheConnectionCloses() async throws {
        try await TestDatabase.with { db in
            let c = try await db.url.connect(id: 1, logger: Self.logger)
            let signal = CloseSignal(c.closeFuture)
            let fired = ManagedCounter()
            signal.arm { fired.add() }
            try await c.close()
            try await Task.sleep(for: .milliseconds(50))
            #expect(fired.value == 1)
            // Armed after the close: fires at once.
            signal.arm { fired.add() }
            #expect(fired.value == 2)
        }
    }

    @Test func aTCPConnectionHasKeepAliveProbesAndAnUnacknowledgedDataTimeout() async throws {
        let url = try DatabaseURL(TestDatabase.clusterURL)
        guard url.socketFolder == nil else { return }
        // The options are set when the channel is made; PostgreSQL closes a connection that sends no
        // startup packet within authentication_timeout (60 s), which a starved test task can miss:
        // then the options are read again from a new channel.
        func options() async throws -> [Int] {
            let channel = try await url.makeChannel()
            defer { channel.close(promise: nil) }
            var out: [Int] = []
            for (level, name) in [
                (SOL_SOCKET, SO_KEEPALIVE), (CInt(IPPROTO_TCP), TCP_KEEPIDLE), (CInt(IPPROTO_TCP), TCP_KEEPINTVL),
                (CInt(IPPROTO_TCP), TCP_KEEPCNT), (CInt(IPPROTO_TCP), CInt(TCP_USER_TIMEOUT)),
                (CInt(IPPROTO_TCP), TCP_NODELAY),
            ] {
                out.append(
                    try await channel.getOption(
                        ChannelOptions.Types.SocketOption(
                            level: NIOBSDSocket.OptionLevel(rawValue: level),
                            name: NIOBSDSocket.Option(rawValue: name)
                        )
                    ).get()
                )
            }
            return out
        }
        var read: [Int]?
        for _ in 0..<3 where read == nil {
            do { read = try await options() } catch ChannelError.ioOnClosedChannel { continue }
        }
        // SO_KEEPALIVE, TCP_KEEPIDLE 5 s, TCP_KEEPINTVL 2 s, TCP_KEEPCNT 3, TCP_USER_TIMEOUT 10 s, TCP_NODELAY.
        #expect(read == [1, 5, 2, 3, 10_000, 1])
    }

    @Test func aConnectionOverTheKeepAliveSocketWorksAsAnyOther() async throws {
        try await TestDatabase.with { db in
            let c = try await db.url.connect(id: 7, logger: Self.logger)
            let n = try await c.query("SELECT 40 + 2", logger: Self.logger).collect().first!.decode(Int.self)
            #expect(n == 42)
            try await c.close()
        }
    }
}

final class ManagedCounter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
