/// Tokens: the id in hexadecimal with trailing zero digits removed (`"X"` for the zero id).
extension S2CellID {
    /// The token, e.g. `"89c25"`, as s2geometry's `ToToken`.
    public var token: String {
        if id == 0 { return "X" }
        let zeroDigits = id.trailingZeroBitCount / 4
        let count = 16 - zeroDigits
        let value = id >> UInt64(4 * zeroDigits)
        return String(unsafeUninitializedCapacity: count) { buffer in
            var rest = value
            for k in stride(from: count - 1, through: 0, by: -1) {
                let digit = UInt8(truncatingIfNeeded: rest & 15)
                buffer[k] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") - 10 + digit
                rest >>= 4
            }
            return count
        }
    }

    /// Parses a token (1–16 hex digits, either case) naming a valid cell.
    /// - Throws: ``S2Error`` with code `invalidToken`, quoting the token and the reason.
    public init(token: some StringProtocol) throws(S2Error) {
        let bytes = Array(token.utf8)
        guard !bytes.isEmpty, bytes.count <= 16 else {
            throw S2Error(.invalidToken, "token \"\(token)\" must have 1 to 16 hexadecimal digits")
        }
        var id: UInt64 = 0
        var shift: UInt64 = 60
        for b in bytes {
            let d: UInt64
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt64(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt64(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt64(b - UInt8(ascii: "A") + 10)
            default:
                throw S2Error(.invalidToken, "token \"\(token)\" contains a non-hexadecimal character")
            }
            id |= d << shift
            shift &-= 4
        }
        let cell = S2CellID(id: id)
        guard cell.isValid else {
            throw S2Error(.invalidToken, "token \"\(token)\" does not name a valid cell")
        }
        self = cell
    }
}
