import PostgresNIO

extension DatabaseURL {
    /// The configuration of a connection pool (`PostgresClient`) for this URL.
    /// - Throws: when TLS is asked for and no TLS context can be made.
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        if let socketFolder {
            return .init(
                unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)",
                username: username,
                password: password,
                database: database
            )
        }
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable", "allow": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        return .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
}
