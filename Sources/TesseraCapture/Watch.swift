import Logging
import PostgresNIO
import TesseraPostgres

/// A watched table: `tessera.watch()` installs its capture triggers (see `sql/002_watch.sql`).
public struct Watch: Sendable, Equatable {
    public var table: String
    /// Default: the table's single-column primary key.
    public var idColumn: String?
    /// Default: the table's only geometry column.
    public var geometryColumn: String?
    /// The columns whose change re-renders a feature; nil: every column.
    public var renderColumns: [String]?
    /// The layers the table feeds; nil: one named after the table.
    public var layers: [String]?

    public init(table: String) { self.table = table }

    /// Installs (or updates) the triggers of each watch, inside the caller's session.
    public static func apply(_ watches: [Watch], on connection: PostgresConnection, logger: Logger) async throws {
        for w in watches {
            try await connection.perform(
                """
                SELECT tessera.watch(\(w.table)::regclass, id_column => \(w.idColumn), geometry_column => \(w.geometryColumn),
                                     render_columns => \(w.renderColumns)::text[], layers => \(w.layers)::text[])
                """,
                logger: logger
            )
        }
    }
}
