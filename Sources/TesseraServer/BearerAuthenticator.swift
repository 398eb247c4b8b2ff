import Foundation
import Hummingbird
import TesseraCatalog
import TesseraDelivery

/// Authenticates `Authorization: Bearer tsk_…` against `tessera.api_keys` and puts the key's
/// tenant in the context. Unknown, malformed and revoked keys get the same 401.
struct BearerAuthenticator: RouterMiddleware {
    typealias Context = APIRequestContext
    let keys: KeyStore

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthorized("send an API key: Authorization: Bearer tsk_…")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Problem.unauthorized("the Authorization header must be 'Bearer <API key>'")
        }
        guard let key = APIKey(String(parts[1]).trimmingCharacters(in: .whitespaces)),
            let principal = try await keys.authenticate(key)
        else {
            throw Problem.unauthorized("the API key is unknown or revoked")
        }
        var context = context
        context.tenant = principal.tenant
        context.logger[metadataKey: "tenant"] = "\(principal.tenant)"
        return try await next(request, context)
    }
}
