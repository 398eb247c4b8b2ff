import Foundation
import Hummingbird
import NIOCore
import TesseraCatalog

/// An API error rendered as RFC 9457 `application/problem+json`.
///
/// ```json
/// {"type": "urn:tessera:problem:invalid-request", "title": "The request is invalid", "status": 422,
///  "detail": "timeout_ms: must be at most 60000 (60 s), got 90000",
///  "errors": [{"field": "timeout_ms", "reason": "must be at most 60000 (60 s), got 90000"}]}
/// ```
public struct Problem: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    /// One thing wrong with a request: the field (a JSON path like `headers.X-Foo` or `layers[2]`)
    /// and why.
    public struct FieldError: Sendable, Hashable, Encodable {
        public var field: String
        public var reason: String

        public init(field: String, reason: String) {
            self.field = field
            self.reason = reason
        }

        init(_ problem: FieldProblem) {
            self.init(field: problem.field, reason: problem.reason)
        }
    }

    public var status: HTTPResponse.Status
    /// The problem type, a URN under `urn:tessera:problem:`.
    public var type: String
    public var title: String
    public var detail: String
    public var errors: [FieldError]
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, type: String, title: String, detail: String, errors: [FieldError] = []) {
        self.status = status
        self.type = "urn:tessera:problem:" + type
        self.title = title
        self.detail = detail
        self.errors = errors
    }

    public var description: String { "\(status.code) \(detail)" }

    /// 400: the body is not JSON, or not what the endpoint reads (wrong types, unknown or missing members).
    public static func malformed(_ errors: [FieldError]) -> Problem {
        Problem(
            .badRequest,
            type: "malformed-request",
            title: "The request cannot be read",
            detail: errors.map { $0.field.isEmpty ? $0.reason : "\($0.field): \($0.reason)" }.joined(separator: "; "),
            errors: errors
        )
    }

    public static func malformed(field: String, _ reason: String) -> Problem {
        malformed([FieldError(field: field, reason: reason)])
    }

    /// 422: well-formed, but a value is not acceptable (a bad URL, an address that may not be called, …).
    public static func invalid(_ errors: [FieldError]) -> Problem {
        Problem(
            .unprocessableContent,
            type: "invalid-request",
            title: "The request is invalid",
            detail: errors.map { $0.field.isEmpty ? $0.reason : "\($0.field): \($0.reason)" }.joined(separator: "; "),
            errors: errors
        )
    }

    public static func invalid(field: String, _ reason: String) -> Problem {
        invalid([FieldError(field: field, reason: reason)])
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(.notFound, type: "not-found", title: "Not found", detail: detail)
    }

    public static func conflict(field: String?, _ detail: String) -> Problem {
        Problem(
            .conflict,
            type: "conflict",
            title: "The request conflicts with the current state",
            detail: field.map { "\($0): \(detail)" } ?? detail,
            errors: field.map { [FieldError(field: $0, reason: detail)] } ?? []
        )
    }

    public static func unauthorized(_ detail: String) -> Problem {
        var p = Problem(.unauthorized, type: "unauthorized", title: "Authentication required", detail: detail)
        p.headers[.wwwAuthenticate] = "Bearer realm=\"tessera\""
        return p
    }

    public static func tooLarge(limit: Int) -> Problem {
        Problem(
            .contentTooLarge,
            type: "too-large",
            title: "The request body is too large",
            detail: "the body may have at most \(limit) bytes"
        )
    }

    struct Body: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var instance: String?
        var errors: [FieldError]?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(
            type: type,
            title: title,
            status: status.code,
            detail: detail,
            instance: request.uri.path,
            errors: errors.isEmpty ? nil : errors
        )
        let data = try JSONEncoder().encode(body)
        var headers = headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
