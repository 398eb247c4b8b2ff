/// Splits an SQL script into statements, as psql does: at semicolons outside quotes,
/// quoted identifiers, dollar-quoted bodies and comments.
///
/// Needed because postgres-nio speaks the extended protocol, which takes one statement per
/// message, while `sql/` files (and tests) are multi-statement scripts with PL/pgSQL bodies.
public enum SQLScript {
    public static func statements(_ script: String) -> [String] {
        let s = Array(script.utf8)
        var out: [String] = []
        var start = 0
        var i = 0
        func flush(_ end: Int) {
            let text = String(decoding: s[start..<end], as: UTF8.self).trimmingWhitespace()
            if !text.isEmpty && !isOnlyComments(text) { out.append(text) }
        }
        while i < s.count {
            let c = s[i]
            switch c {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                i += 1
                while i < s.count {
                    if s[i] == c {
                        if i + 1 < s.count && s[i + 1] == c { i += 2; continue }  // doubled quote
                        break
                    }
                    i += 1
                }
                i += 1
            case UInt8(ascii: "-") where i + 1 < s.count && s[i + 1] == UInt8(ascii: "-"):
                while i < s.count && s[i] != UInt8(ascii: "\n") { i += 1 }
            case UInt8(ascii: "/") where i + 1 < s.count && s[i + 1] == UInt8(ascii: "*"):
                i += 2
                while i + 1 < s.count && !(s[i] == UInt8(ascii: "*") && s[i + 1] == UInt8(ascii: "/")) { i += 1 }
                i += 2
            case UInt8(ascii: "$"):
                // A dollar quote: $tag$ ... $tag$ (tag: letters, digits, underscores; not starting with a digit).
                var j = i + 1
                while j < s.count && (isTagByte(s[j])) { j += 1 }
                if j < s.count && s[j] == UInt8(ascii: "$") && (j == i + 1 || !isDigit(s[i + 1])) {
                    let tag = Array(s[i...j])
                    var k = j + 1
                    while k + tag.count <= s.count && Array(s[k..<(k + tag.count)]) != tag { k += 1 }
                    i = min(k + tag.count, s.count)
                } else {
                    i += 1
                }
            case UInt8(ascii: ";"):
                flush(i)
                i += 1
                start = i
            default:
                i += 1
            }
        }
        flush(s.count)
        return out
    }

    static func isTagByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || isDigit(b)
            || b == UInt8(ascii: "_")
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy {
            $0.trimmingWhitespace().isEmpty || $0.trimmingWhitespace().hasPrefix("--")
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = Array(unicodeScalars)
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[first...last])
        return String(out)
    }
}
