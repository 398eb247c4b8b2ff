import Hummingbird
import Logging
import TesseraCatalog
import TesseraDelivery

/// Renders every error as problem+json: ``Problem`` as it is, ``StoreError`` by its code,
/// Hummingbird's errors with their status, and anything else as a logged 500 that reveals nothing.
/// A request no route matched is a 405 with `Allow` when its path is routed for other methods
/// (`allowed`), a 404 otherwise.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    var allowed: AllowedMethods

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            let response = try await next(request, context)
            if response.status == .notFound, response.headers[.contentType] == nil {
                return try unrouted(request).response(from: request, context: context)
            }
            return response
        } catch {
            // The router throws HTTPError(.notFound) when no route matched the method.
            if let e = error as? HTTPError, e.status == .notFound, let problem = methodNotAllowed(request) {
                return try problem.response(from: request, context: context)
            }
            return try Self.problem(for: error, request: request, context: context)
                .response(from: request, context: context)
        }
    }

    /// The answer to a request no route took: 405 with `Allow` when routes have its path for other
    /// methods, 404 when none has it.
    func unrouted(_ request: Request) -> Problem {
        methodNotAllowed(request) ?? Problem.notFound("no such endpoint: \(request.method) \(request.uri.path)")
    }

    /// 405 with `Allow` when routes have the request's path for other methods only; nil otherwise.
    func methodNotAllowed(_ request: Request) -> Problem? {
        let methods = allowed.methods(for: request.uri.path)
        guard !methods.isEmpty, !methods.contains(request.method.rawValue) else { return nil }
        var problem = Self.methodNotAllowed(
            "\(request.uri.path) answers \(methods.joined(separator: ", ")), not \(request.method)"
        )
        problem.headers[.allow] = methods.joined(separator: ", ")
        return problem
    }

    static func methodNotAllowed(_ detail: String) -> Problem {
        Problem(.methodNotAllowed, type: "method-not-allowed", title: "Method not allowed", detail: detail)
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
                return methodNotAllowed(detail)
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
