import Foundation
import Hummingbird
import NIOCore
import TesseraCatalog
import TesseraGeometry

/// The API's reader of a JSON request body: the catalog's ``FieldReader`` (the same rules as the
/// configuration file), whose problems become problem+json.
typealias RequestReader = FieldReader

extension FieldReader {
    /// Reads at most `limit` bytes of body and parses it as one JSON object.
    /// - Throws: ``Problem`` 413 over the limit, 400 when the body is not a JSON object.
    static func body(of request: Request, limit: Int) async throws -> RequestReader {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Problem.tooLarge(limit: limit)
        }
        if let type = request.headers[.contentType],
            !type.lowercased().hasPrefix("application/json"), !type.lowercased().contains("+json")
        {
            throw Problem(
                .unsupportedMediaType,
                type: "unsupported-media-type",
                title: "Unsupported media type",
                detail: "send the body as application/json, not \(type)"
            )
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(buffer.readableBytesView)
        } catch {
            throw Problem.malformed(field: "", "the body is not valid JSON: \(error.message)")
        }
        guard case .object(let members) = value else {
            throw Problem.malformed(field: "", "the body must be a JSON object, not \(value.kindName)")
        }
        return FieldReader(members: members)
    }

    /// An RFC 3339 timestamp.
    mutating func timestamp(_ key: String) -> Date? {
        guard let s = string(key) else { return nil }
        guard let d = Timestamp.parse(s) else {
            malformed.append(
                FieldProblem(field: key, reason: "must be an RFC 3339 timestamp like 2026-01-31T12:00:00Z, got '\(s)'")
            )
            return nil
        }
        return d
    }

    /// Throws the collected problems: malformed ones first (400), then invalid ones (422).
    func finish() throws(Problem) {
        if !malformed.isEmpty { throw Problem.malformed(malformed.map(Problem.FieldError.init)) }
        if !invalid.isEmpty { throw Problem.invalid(invalid.map(Problem.FieldError.init)) }
    }
}
