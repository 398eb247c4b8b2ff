import TesseraGeometry

/// A field of a request or configuration entry that cannot be used, and why.
public struct FieldProblem: Sendable, Hashable {
    /// The member's path: `name`, `layers[1]`, `headers.X-Team`.
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
}

/// Reads a JSON object member by member, collecting every problem with its field.
///
/// Problems of shape — a wrong type, an unknown or missing member — are "malformed"; problems of
/// value — out of range, not allowed — are "invalid". The API answers the first kind with 400 and
/// the second with 422; the configuration file refuses either, naming the first.
public struct FieldReader: Sendable {
    public let members: [(key: String, value: JSONValue)]
    public var malformed: [FieldProblem] = []
    public var invalid: [FieldProblem] = []

    public init(members: [(key: String, value: JSONValue)]) {
        self.members = members
    }

    /// Reports every member not in `known`.
    public mutating func refuseUnknown(_ known: [String]) {
        let set = Set(known)
        var seen = Set<String>()
        for m in members {
            if !set.contains(m.key) {
                malformed.append(
                    FieldProblem(field: m.key, reason: "is not a known field (known: \(known.joined(separator: ", ")))")
                )
            } else if !seen.insert(m.key).inserted {
                malformed.append(FieldProblem(field: m.key, reason: "appears more than once"))
            }
        }
    }

    public func has(_ key: String) -> Bool { members.contains { $0.key == key } }

    public subscript(key: String) -> JSONValue? { members.last { $0.key == key }?.value }

    public mutating func require(_ key: String) {
        if !has(key) { malformed.append(FieldProblem(field: key, reason: "is required")) }
    }

    public mutating func wrongType(_ key: String, _ expected: String, _ got: JSONValue) {
        malformed.append(FieldProblem(field: key, reason: "must be \(expected), not \(got.kindName)"))
    }

    public mutating func refuse(_ key: String, _ reason: String) {
        invalid.append(FieldProblem(field: key, reason: reason))
    }

    /// The string member, or nil when absent or of another type (reported).
    public mutating func string(_ key: String) -> String? {
        guard let v = self[key] else { return nil }
        guard case .string(let s) = v else {
            wrongType(key, "a string", v)
            return nil
        }
        return s
    }

    public mutating func bool(_ key: String) -> Bool? {
        guard let v = self[key] else { return nil }
        guard case .bool(let b) = v else {
            wrongType(key, "true or false", v)
            return nil
        }
        return b
    }

    /// An integer in `range`; out-of-range values are invalid, non-integers malformed.
    public mutating func int(_ key: String, in range: ClosedRange<Int>, unit: String = "") -> Int? {
        guard let v = self[key] else { return nil }
        return integer(v, field: key, in: range, unit: unit)
    }

    public mutating func integer(_ v: JSONValue, field: String, in range: ClosedRange<Int>, unit: String = "") -> Int? {
        guard case .number(let n) = v, n == n.rounded(), abs(n) < 1e15 else {
            if case .number = v {
                malformed.append(FieldProblem(field: field, reason: "must be an integer"))
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
    public mutating func oneOf(_ key: String, _ allowed: [String]) -> String? {
        guard let s = string(key) else { return nil }
        guard allowed.contains(s) else {
            refuse(key, "must be one of \(allowed.joined(separator: ", ")), got '\(s)'")
            return nil
        }
        return s
    }

    /// One of an enum's raw values (its cases are the allowed list).
    public mutating func oneOf<Value: RawRepresentable & CaseIterable>(_ key: String, _: Value.Type) -> Value?
    where Value.RawValue == String {
        oneOf(key, Value.allCases.map(\.rawValue)).flatMap(Value.init(rawValue:))
    }

    /// Every problem, malformed ones first.
    public var problems: [FieldProblem] { malformed + invalid }
}
