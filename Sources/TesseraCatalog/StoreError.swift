/// Why a store operation on subscriptions, keys or deliveries was refused.
///
/// `notFound` is also the answer for a resource of another tenant, so that callers cannot
/// learn that it exists.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case notFound = "not found"
            case conflict
            case invalid
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No such resource for this tenant.
        public static let notFound = Code(.notFound)
        /// The change collides with existing state (a duplicate name, a delivery that is not dead).
        public static let conflict = Code(.conflict)
        /// A value the database would not take, named by `field`.
        public static let invalid = Code(.invalid)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// The request field the error is about, when there is one (`name`, `layers[1]`).
    public let field: String?
    public let message: String

    public init(code: Code, field: String? = nil, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String {
        field.map { "\($0): \(message)" } ?? message
    }

    public static func notFound(_ what: String) -> StoreError {
        StoreError(code: .notFound, message: "\(what) not found")
    }
}
