import NIOSSL
import PostgresNIO

/// A PostgreSQL connection URL: `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`.
///
/// `host` may also be given as a query parameter naming a Unix socket folder
/// (`postgres://tessera@/tessera?host=/path/to/run`), as libpq allows.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public let username: String
    public let password: String?
    public let host: String
    public let port: Int
    public let database: String
    public let socketFolder: String?
    public let sslMode: String

    /// - Throws: ``DatabaseError`` `.configuration` naming what is wrong with the URL.
    public init(_ text: String) throws(DatabaseError) {
        func bad(_ why: String) -> DatabaseError {
            DatabaseError(code: .configuration, message: "database URL '\(DatabaseURL.redacted(text))': \(why)")
        }
        var rest = Substring(text)
        if rest.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else if rest.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else {
            throw bad("must start with postgres:// or postgresql://")
        }
        var query: [String: String] = [:]
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                query[String(kv[0])] = kv.count > 1 ? DatabaseURL.percentDecoded(kv[1]) : ""
            }
            rest = rest[..<q]
        }
        guard let at = rest.lastIndex(of: "@") else { throw bad("needs a user name (postgres://user@host/db)") }
        let userInfo = rest[..<at]
        let hostPart = rest[rest.index(after: at)...]
        let userSplit = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        username = DatabaseURL.percentDecoded(userSplit[0])
        password = userSplit.count > 1 ? DatabaseURL.percentDecoded(userSplit[1]) : nil
        guard !username.isEmpty else { throw bad("the user name is empty") }
        let slash = hostPart.firstIndex(of: "/")
        let hostPort = slash.map { hostPart[..<$0] } ?? hostPart
        let db = slash.map { hostPart[hostPart.index(after: $0)...] } ?? ""
        guard !db.isEmpty else { throw bad("needs a database name after the host (/tessera)") }
        database = DatabaseURL.percentDecoded(db)
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw bad("the port is not a number from 1 to 65535")
            }
            port = p
            host = String(hostPort[..<colon])
        } else {
            port = 5432
            host = String(hostPort)
        }
        socketFolder = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        guard !host.isEmpty || socketFolder != nil else { throw bad("needs a host") }
        sslMode = query["sslmode"] ?? "prefer"
        guard ["disable", "prefer", "require", "allow"].contains(sslMode) else {
            throw bad("sslmode '\(sslMode)' is not disable, allow, prefer or require")
        }
    }

    /// The configuration of one connection.
    /// - Throws: when TLS is asked for and no TLS context can be made (no trust store, say).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var config: PostgresConnection.Configuration
        if let socketFolder {
            config = .init(
                unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)",
                username: username,
                password: password,
                database: database
            )
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch sslMode {
            case "disable", "allow": tls = .disable
            case "require": tls = .require(try Self.clientTLSContext.get())
            default: tls = .prefer(try Self.clientTLSContext.get())
            }
            config = .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        return config
    }

    /// The TLS context of every connection, made once: making one loads the system's trust roots (the
    /// whole CA bundle, parsed), which cost more than the connection itself when made per connection.
    static let clientTLSContext = Result { try NIOSSLContext(configuration: .makeClientConfiguration()) }

    /// The URL with its password replaced by `***`, for logs and errors.
    public var description: String {
        let pw = password == nil ? "" : ":***"
        let where_ = socketFolder.map { "?host=\($0)" } ?? ""
        return "postgres://\(username)\(pw)@\(host):\(port)/\(database)\(where_)"
    }

    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let scheme = text.range(of: "://"),
            let colon = text[scheme.upperBound..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    static func percentDecoded(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%"), it.count >= 2,
                let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
