import Foundation
import Hummingbird
import NIOCore
import TesseraGeometry

/// Reads a JSON request body member by member, collecting every problem with its field.
///
/// Problems of shape — not JSON, a wrong type, an unknown or missing member — are "malformed"
/// (400); problems of value — out of range, not allowed — are "invalid" (422). ``finish()``
/// throws the malformed ones if any, else the invalid ones.
struct RequestReader {
    let members: [(key: String, value: JSONValue)]
    var malformed: [Problem.FieldError] = []
    var invalid: [Problem.FieldError] = []

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
        return RequestReader(members: members)
    }

    init(members: [(key: String, value: JSONValue)]) {
        self.members = members
    }

    /// Reports every member not in `known`.
    mutating func refuseUnknown(_ known: [String]) {
        let set = Set(known)
        var seen = Set<String>()
        for m in members {
            if !set.contains(m.key) {
                malformed.append(
                    .init(field: m.key, reason: "is not a known field (known: \(known.joined(separator: ", ")))")
                )
            } else if !seen.insert(m.key).inserted {
                malformed.append(.init(field: m.key, reason: "appears more than once"))
            }
        }
    }

    func has(_ key: String) -> Bool { members.contains { $0.key == key } }

    subscript(key: String) -> JSONValue? { members.last { $0.key == key }?.value }

    mutating func require(_ key: String) {
        if !has(key) { malformed.append(.init(field: key, reason: "is required")) }
    }

    mutating func wrongType(_ key: String, _ expected: String, _ got: JSONValue) {
        malformed.append(.init(field: key, reason: "must be \(expected), not \(got.kindName)"))
    }

    mutating func refuse(_ key: String, _ reason: String) {
        invalid.append(.init(field: key, reason: reason))
    }

    /// The string member, or nil when absent or of another type (reported).
    mutating func string(_ key: String) -> String? {
        guard let v = self[key] else { return nil }
        guard case .string(let s) = v else {
            wrongType(key, "a string", v)
            return nil
        }
        return s
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let v = self[key] else { return nil }
        guard case .bool(let b) = v else {
            wrongType(key, "true or false", v)
            return nil
        }
        return b
    }

    /// An integer in `range`; out-of-range values are invalid, non-integers malformed.
    mutating func int(_ key: String, in range: ClosedRange<Int>, unit: String = "") -> Int? {
        guard let v = self[key] else { return nil }
        return integer(v, field: key, in: range, unit: unit)
    }

    mutating func integer(_ v: JSONValue, field: String, in range: ClosedRange<Int>, unit: String = "") -> Int? {
        guard case .number(let n) = v, n == n.rounded(), abs(n) < 1e15 else {
            if case .number = v {
                malformed.append(.init(field: field, reason: "must be an integer"))
            } else {
                wrongType(field, "an integer", v)
            }
            return nil
        }
        let i = Int(n)
        guard range.contains(i) else {
            refuse(field, "must be from \(range.lowerBound) to \(range.upperBound)\(unit), got \(i)")
            return nil
        }
        return i
    }

    /// A string that must be one of `allowed`.
    mutating func oneOf(_ key: String, _ allowed: [String]) -> String? {
        guard let s = string(key) else { return nil }
        guard allowed.contains(s) else {
            refuse(key, "must be one of \(allowed.joined(separator: ", ")), got '\(s)'")
            return nil
        }
        return s
    }

    /// An RFC 3339 timestamp.
    mutating func timestamp(_ key: String) -> Date? {
        guard let s = string(key) else { return nil }
        guard let d = Timestamp.parse(s) else {
            malformed.append(
                .init(field: key, reason: "must be an RFC 3339 timestamp like 2026-01-31T12:00:00Z, got '\(s)'")
            )
            return nil
        }
        return d
    }

    /// Throws the collected problems: malformed ones first (400), then invalid ones (422).
    func finish() throws(Problem) {
        if !malformed.isEmpty { throw Problem.malformed(malformed) }
        if !invalid.isEmpty { throw Problem.invalid(invalid) }
    }
}
