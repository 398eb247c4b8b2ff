import Hummingbird
import Logging
import TesseraCatalog
import TesseraDelivery

/// Renders every error as problem+json: ``Problem`` as it is, ``StoreError`` by its code,
/// Hummingbird's errors with their status, and anything else as a logged 500 that reveals nothing.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            let response = try await next(request, context)
            if response.status == .notFound, response.headers[.contentType] == nil {
                return try Problem.notFound("no such endpoint: \(request.method) \(request.uri.path)")
                    .response(from: request, context: context)
            }
            return response
        } catch {
            return try Self.problem(for: error, request: request, context: context)
                .response(from: request, context: context)
        }
    }

    static func problem(for error: any Error, request: Request, context: Context) -> Problem {
        switch error {
        case let p as Problem:
            return p
        case let e as StoreError:
            switch e.code {
            case .notFound: return .notFound(e.message)
            case .conflict: return .conflict(field: e.field, e.message)
            default: return .invalid(field: e.field ?? "", e.message)
            }
        case let e as HTTPError:
            let detail = e.body ?? e.status.reasonPhrase
            switch e.status {
            case .notFound: return .notFound(detail)
            case .methodNotAllowed:
                return Problem(
                    .methodNotAllowed,
                    type: "method-not-allowed",
                    title: "Method not allowed",
                    detail: detail
                )
            case .contentTooLarge:
                return Problem(.contentTooLarge, type: "too-large", title: "Too large", detail: detail)
            default:
                if (400..<500).contains(e.status.code) {
                    return Problem(e.status, type: "bad-request", title: e.status.reasonPhrase, detail: detail)
                }
            }
        case let e as any HTTPResponseError where (400..<500).contains(e.status.code):
            return Problem(e.status, type: "bad-request", title: e.status.reasonPhrase, detail: e.status.reasonPhrase)
        default:
            break
        }
        context.logger.error(
            "request failed",
            metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"]
        )
        return Problem(
            .internalServerError,
            type: "internal",
            title: "Internal error",
            detail: "the request could not be completed; the server log has the details (request \(context.id))"
        )
    }
}
