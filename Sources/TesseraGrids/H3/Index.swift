/// An H3 v4 cell index: a 64-bit value naming one cell at one resolution.
///
/// Every `H3Cell` is valid (``isValid(_:)`` holds): construct one from a location with
/// ``H3LatLng/cell(at:)``, from text with ``init(_:)-(String)`` or from an integer with
/// ``init(_:)-(UInt64)``, which check the bits fully. The text form is the reference's:
/// lowercase hexadecimal without leading zeros (15 digits for every valid cell).
public struct H3Cell: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 64-bit index, as PyPI `h3` returns from `str_to_int`.
    public let rawValue: UInt64

    /// Wraps `value` after checking that it is a valid cell.
    /// - Throws: ``H3Error`` with code `.invalidCell`.
    @inlinable
    public init(_ value: UInt64) throws(H3Error) {
        guard H3Cell.isValid(value) else {
            throw H3Error(.invalidCell, field: "cell", reason: "0x\(String(value, radix: 16)) is not a valid H3 cell")
        }
        rawValue = value
    }

    /// Parses the hexadecimal form (`"8928308280fffff"`, case-insensitive, optional `0x`).
    /// - Throws: ``H3Error`` with code `.malformedCell` for text that is not 1–16 hex digits,
    ///   `.invalidCell` for a number that is not a valid cell.
    @inlinable
    public init<S: StringProtocol>(_ text: S) throws(H3Error) {
        var utf8 = Substring(text).utf8[...]
        if utf8.count > 2, utf8.first == UInt8(ascii: "0"),
            let x = utf8.dropFirst().first, x == UInt8(ascii: "x") || x == UInt8(ascii: "X")
        {
            utf8 = utf8.dropFirst(2)
        }
        guard !utf8.isEmpty, utf8.count <= 16 else {
            throw H3Error(.malformedCell, field: "cell", reason: "\"\(text)\" is not 1 to 16 hexadecimal digits")
        }
        var value: UInt64 = 0
        for byte in utf8 {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default:
                throw H3Error(.malformedCell, field: "cell", reason: "\"\(text)\" has a non-hexadecimal character")
            }
            value = value << 4 | UInt64(digit)
        }
        try self.init(value)
    }

    /// Wraps a value already known to be valid.
    @inlinable
    init(unchecked value: UInt64) { rawValue = value }

    /// Lowercase hexadecimal, 15 characters for every valid cell.
    public var description: String { String(rawValue, radix: 16) }

    public static func < (lhs: H3Cell, rhs: H3Cell) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The cell's resolution.
    @inlinable
    public var resolution: H3Resolution { H3Resolution(unchecked: H3Bits.resolution(rawValue)) }

    /// The resolution-0 ancestor's number, 0...121.
    @inlinable
    public var baseCell: Int { H3Bits.baseCell(rawValue) }

    /// True for the 12 pentagons at each resolution (every other cell is a hexagon).
    @inlinable
    public var isPentagon: Bool { H3Bits.isPentagon(rawValue) }

    /// The child digit (0...6) at `resolution` 1...`self.resolution`.
    @inlinable
    public func digit(at resolution: Int) -> Int { H3Bits.digit(rawValue, resolution) }

    /// The full validity check of the reference `isValidCell`: mode, reserved bits,
    /// base cell, digits up to the resolution in 0...6, unused digits 7, and no deleted
    /// pentagon sub-sequence.
    @inlinable
    public static func isValid(_ h: UInt64) -> Bool {
        guard h >> 56 == 0b0000_1000 else { return false }
        let res = H3Bits.resolution(h)
        let bc = H3Bits.baseCell(h)
        guard bc < H3BaseCells.count else { return false }
        // Any digit 7 among digits 1...res (bit trick: a 7 borrows when subtracting 0b001 per digit).
        let high: UInt64 = 0b100_100_100_100_100_100_100_100_100_100_100_100_100_100_100
        let low = high >> 2
        let shift = UInt64(3 * (15 - res))
        let used = (h >> shift) << shift
        if used & high & (~used &- low) != 0 { return false }
        // Digits after res must all be 7.
        if res < 15 {
            let s = UInt64(19 + 3 * res)
            if ((~h) << s) >> s != 0 { return false }
        }
        // Pentagons skip the k sub-sequence: the first non-zero digit must not be 1.
        if H3BaseCells.pentagon[bc] != 0 {
            let digits = (h << 19) >> 19
            if digits != 0 && (63 - digits.leadingZeroBitCount) % 3 == 0 { return false }
        }
        return true
    }
}

/// Bit layout of an H3 index: 1 reserved high bit, 4 mode bits, 3 reserved bits,
/// 4 resolution bits, 7 base-cell bits, then fifteen 3-bit digits.
@usableFromInline
enum H3Bits {
    /// An index with mode "cell", resolution 0, base cell 0 and every digit 7.
    @usableFromInline static let cellTemplate: UInt64 = 0x0800_1fff_ffff_ffff

    @inlinable @inline(__always) static func resolution(_ h: UInt64) -> Int { Int((h >> 52) & 0xf) }
    @inlinable @inline(__always) static func baseCell(_ h: UInt64) -> Int { Int((h >> 45) & 0x7f) }
    @inlinable @inline(__always) static func digit(_ h: UInt64, _ r: Int) -> Int {
        Int((h >> UInt64((15 - r) * 3)) & 7)
    }

    @inlinable
    static func setResolution(_ h: UInt64, _ r: Int) -> UInt64 { (h & ~(0xf << 52)) | UInt64(r) << 52 }

    @inlinable
    static func setBaseCell(_ h: UInt64, _ bc: Int) -> UInt64 { (h & ~(0x7f << 45)) | UInt64(bc) << 45 }

    @inlinable
    static func setDigit(_ h: UInt64, _ r: Int, _ d: Int) -> UInt64 {
        let shift = UInt64((15 - r) * 3)
        return (h & ~(7 << shift)) | UInt64(d) << shift
    }

    /// Mask of the digit bits 1...`res` (digit r at bits 3·(15 − r) ..< 3·(15 − r) + 3).
    @inlinable @inline(__always)
    static func digitMask(_ res: Int) -> UInt64 {
        let unused = UInt64(3 * (15 - res))
        return (((1 << 45) - 1) >> unused) << unused
    }

    /// The first non-zero digit, or 0 when all digits up to the resolution are 0.
    @inlinable @inline(__always)
    static func leadingNonZeroDigit(_ h: UInt64) -> Int {
        let used = h & digitMask(resolution(h))
        guard used != 0 else { return 0 }
        // The highest set bit lies in the first non-zero digit.
        let shift = UInt64((63 - used.leadingZeroBitCount) / 3 * 3)
        return Int((used >> shift) & 7)
    }

    @inlinable @inline(__always)
    static func isPentagon(_ h: UInt64) -> Bool {
        H3BaseCells.pentagon[baseCell(h)] != 0 && h & digitMask(resolution(h)) == 0
    }

    /// Every digit 1...res rotated 60° counter-clockwise at once.
    ///
    /// A digit's three bits are its unit vector's i, j, k components. Rotating counter-clockwise
    /// maps (i, j, k) to (i + k, i + j, j + k), normalised: for a one-bit digit each new bit is an OR
    /// of two old bits, for a two-bit digit an AND (0 and 7 map to themselves either way), so all
    /// fifteen digits rotate together with bitwise operations on the three bit lanes.
    @inlinable
    static func rotate60CounterClockwise(_ h: UInt64) -> UInt64 {
        let lane: UInt64 = 0o111_111_111_111_111
        let k = h & lane
        let j = (h >> 1) & lane
        let i = (h >> 2) & lane
        let two = (i & j) | (i & k) | (j & k)
        let ni = (two & i & k) | (~two & (i | k))
        let nj = (two & i & j) | (~two & (i | j))
        let nk = (two & j & k) | (~two & (j | k))
        let rotated = (ni & lane) << 2 | (nj & lane) << 1 | (nk & lane)
        let mask = digitMask(resolution(h))
        return (h & ~mask) | (rotated & mask)
    }

    /// Every digit 1...res rotated 60° clockwise at once: (i, j, k) to (i + j, j + k, i + k), normalised.
    @inlinable
    static func rotate60Clockwise(_ h: UInt64) -> UInt64 {
        let lane: UInt64 = 0o111_111_111_111_111
        let k = h & lane
        let j = (h >> 1) & lane
        let i = (h >> 2) & lane
        let two = (i & j) | (i & k) | (j & k)
        let ni = (two & i & j) | (~two & (i | j))
        let nj = (two & j & k) | (~two & (j | k))
        let nk = (two & i & k) | (~two & (i | k))
        let rotated = (ni & lane) << 2 | (nj & lane) << 1 | (nk & lane)
        let mask = digitMask(resolution(h))
        return (h & ~mask) | (rotated & mask)
    }

    /// `times` (0...5) counter-clockwise rotations; more than three are done as clockwise ones.
    @inlinable
    static func rotate60CounterClockwise(_ h: UInt64, times: Int) -> UInt64 {
        var h = h
        if times > 3 {
            for _ in times..<6 { h = rotate60Clockwise(h) }
        } else {
            for _ in 0..<times { h = rotate60CounterClockwise(h) }
        }
        return h
    }

    /// Counter-clockwise rotation of a pentagon-based index, stepping over the deleted k sub-sequence:
    /// when the first non-zero digit becomes 1 (k), everything turns once more.
    @inlinable
    static func rotatePentagon60CounterClockwise(_ h: UInt64) -> UInt64 {
        let h = rotate60CounterClockwise(h)
        return leadingNonZeroDigit(h) == 1 ? rotate60CounterClockwise(h) : h
    }

    /// Clears digits `start...end` to 0.
    @inlinable
    static func zeroDigits(_ h: UInt64, _ start: Int, _ end: Int) -> UInt64 {
        guard start <= end else { return h }
        var m: UInt64 = ~0
        m <<= UInt64(3 * (end - start + 1))
        m = ~m
        m <<= UInt64(3 * (15 - end))
        return h & ~m
    }
}
