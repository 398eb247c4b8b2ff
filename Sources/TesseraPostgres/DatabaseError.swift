/// A database-side failure: configuration (the URL), migrations, or a database answer Tessera cannot use.
public struct DatabaseError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        private enum Base: Hashable, Sendable { case configuration, migration, database }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A setting is missing or malformed.
        public static let configuration = Code(.configuration)
        /// A migration failed or the database is newer than this binary.
        public static let migration = Code(.migration)
        /// The database answered something unexpected.
        public static let database = Code(.database)
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
