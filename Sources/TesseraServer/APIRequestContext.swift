import Hummingbird

/// The request context of the admin API: the tenant the bearer key belongs to, once authenticated.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``BearerAuthenticator``; nil on routes without authentication (`/health`).
    public var tenant: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.tenant = nil
    }

    /// The authenticated tenant.
    /// - Throws: ``Problem`` 401 when the route was reached without authentication.
    func requireTenant() throws -> String {
        guard let tenant else { throw Problem.unauthorized("no API key") }
        return tenant
    }
}
