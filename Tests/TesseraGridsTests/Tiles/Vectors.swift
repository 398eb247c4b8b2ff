import TesseraGeometry

/// Loads committed reference vectors from `grids/`, relative to this source file.
enum Vectors {
    static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)  // Tests/TesseraGridsTests/Tiles/Vectors.swift
        return parts.joined(separator: "/")
    }()

    static func load(_ relativePath: String) throws -> JSONValue {
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

struct VectorError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

extension JSONValue {
    var array: [JSONValue] {
        if case .array(let a) = self { return a }
        return []
    }
    var double: Double {
        if case .number(let n) = self { return n }
        return .nan
    }
    var int: Int { Int(double) }
    var string: String {
        if case .string(let s) = self { return s }
        return ""
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
