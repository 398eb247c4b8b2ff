import TesseraGeometry

/// Loads committed reference vectors from `grids/`, relative to this source file.
public enum Vectors {
    /// The package's root folder, found from this file's path.
    public static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/TesseraTestSupport/Vectors.swift
        return parts.joined(separator: "/")
    }()

    /// Parses the JSON file at `relativePath` below the package root.
    public static func load(_ relativePath: String) throws -> JSONValue {
        let path = packageRoot + "/" + relativePath
        guard let file = fopen(path, "rb") else { throw VectorError(message: "cannot open \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return try JSONValue.parse(bytes)
    }
}

public struct VectorError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Lenient accessors for test vectors: a wrong type yields an empty or NaN value that fails the comparison.
extension JSONValue {
    public var array: [JSONValue] {
        if case .array(let a) = self { return a }
        return []
    }
    public var double: Double {
        if case .number(let n) = self { return n }
        return .nan
    }
    public var int: Int { Int(double) }
    public var string: String {
        if case .string(let s) = self { return s }
        return ""
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
