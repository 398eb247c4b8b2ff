/// The stored form of a partition map (`tessera.partition_maps.map`).
///
/// `"TP"`, version 1, system (0 H3, 1 S2), level, finest level, then as unsigned LEB128 varints:
/// partition count, epoch, range count, and per range the start's distance from the previous start,
/// the owner count and the owners: a few bytes to a dozen per range.
extension PartitionMap {
    public func encoded() -> [UInt8] {
        var out: [UInt8] = [0x54, 0x50, 1, grid.system == .h3 ? 0 : 1, UInt8(grid.level), UInt8(grid.finestLevel)]
        out.reserveCapacity(16 + 4 * starts.count)
        Self.append(UInt64(partitionCount), to: &out)
        Self.append(UInt64(bitPattern: epoch), to: &out)
        Self.append(UInt64(starts.count), to: &out)
        var previous: UInt64 = 0
        for (start, owner) in zip(starts, owners) {
            Self.append(start - previous, to: &out)
            previous = start
            let list = ownerList(owner)
            Self.append(UInt64(list.count), to: &out)
            for p in list { Self.append(UInt64(p), to: &out) }
        }
        return out
    }

    /// - Throws: ``PartitionError`` `.malformedEncoding` for bytes that are not this form, or the
    ///   errors of ``init(grid:partitions:epoch:ranges:)`` for a map that is not valid.
    public init(encoded bytes: [UInt8]) throws(PartitionError) {
        guard bytes.count >= 6, bytes[0] == 0x54, bytes[1] == 0x50 else {
            throw PartitionError(.malformedEncoding, "map: not a Tessera partition map")
        }
        guard bytes[2] == 1 else { throw PartitionError(.malformedEncoding, "map: version \(bytes[2]) is unknown") }
        guard bytes[3] <= 1 else { throw PartitionError(.malformedEncoding, "map: grid system \(bytes[3]) is unknown") }
        let grid = try PartitionGrid(bytes[3] == 0 ? .h3 : .s2, level: Int(bytes[4]), finestLevel: Int(bytes[5]))
        var offset = 6
        let partitions = try Self.read(bytes, &offset, upTo: UInt64(Self.maximumPartitions))
        let epoch = Int64(bitPattern: try Self.read(bytes, &offset))
        let count = try Self.read(bytes, &offset, upTo: UInt64(bytes.count))
        var ranges: [PartitionRange] = []
        ranges.reserveCapacity(Int(count))
        var start: UInt64 = 0
        for index in 0..<Int(count) {
            let step = try Self.read(bytes, &offset)
            let (next, overflow) = start.addingReportingOverflow(step)
            guard !overflow, index == 0 || step > 0 else {
                throw PartitionError(.malformedEncoding, "map: range \(index) does not follow the previous one")
            }
            start = next
            let owners = try Self.read(bytes, &offset, upTo: UInt64(Self.maximumPartitions))
            var list: [Int] = []
            for _ in 0..<owners {
                list.append(Int(try Self.read(bytes, &offset, upTo: UInt64(Self.maximumPartitions))))
            }
            ranges.append(PartitionRange(start: start, owners: list))
        }
        guard offset == bytes.count else { throw PartitionError(.malformedEncoding, "map: trailing bytes") }
        try self.init(grid: grid, partitions: Int(partitions), epoch: epoch, ranges: ranges)
    }

    private static func append(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func read(_ bytes: [UInt8], _ offset: inout Int, upTo limit: UInt64 = .max) throws(PartitionError)
        -> UInt64
    {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 64 else {
                throw PartitionError(.malformedEncoding, "map: truncated at byte \(offset)")
            }
            let byte = bytes[offset]
            offset += 1
            // The tenth byte holds only the top bit; a last byte of 0 after others is not minimal.
            guard shift < 63 || byte <= 1, byte != 0 || shift == 0 else {
                throw PartitionError(.malformedEncoding, "map: malformed number at byte \(offset - 1)")
            }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        guard value <= limit else {
            throw PartitionError(.malformedEncoding, "map: value \(value) at byte \(offset) is out of range")
        }
        return value
    }
}
