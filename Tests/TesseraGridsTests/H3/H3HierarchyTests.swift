import Testing

@testable import TesseraGrids

@Suite struct H3HierarchyTests {
    @Test(arguments: H3Vectors.sets)
    func parentsAndChildrenMatchReference(set: String) throws {
        var failures: [String] = []
        var rows = 0
        for row in try H3Vectors.lines("hierarchy.txt", in: H3Vectors.directory(set)) {
            let cell = try H3Vectors.cell(row[0])
            let parentRes = try H3Resolution(Int(row[1])!)
            let childRes = try H3Resolution(Int(row[3])!)
            if try cell.parent(at: parentRes).description != row[2] { failures.append("parent of \(cell)") }
            if try cell.centerChild(at: childRes).description != row[4] { failures.append("centre child of \(cell)") }
            if !row[5].isEmpty {
                let want = try H3Vectors.cells(row[5])
                let got = try cell.children(at: childRes)
                if Set(got) != want || got.count != want.count || got != got.sorted() {
                    failures.append("children of \(cell) at \(childRes)")
                }
                if try cell.childCount(at: childRes) != want.count { failures.append("child count of \(cell)") }
            }
            rows += 1
            if failures.count > 10 { break }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(rows > 100)
    }

    @Test(arguments: H3Vectors.sets)
    func compactAndUncompactMatchReference(set: String) throws {
        for row in try H3Vectors.lines("compact.txt", in: H3Vectors.directory(set)) {
            let input = try H3Vectors.cells(row[0])
            let want = try H3Vectors.cells(row[1])
            let compacted = try H3Compaction.compact(Array(input))
            #expect(Set(compacted) == want)
            #expect(compacted.count == want.count)
            let res = input.first!.resolution
            #expect(Set(try H3Compaction.uncompact(compacted, to: res)) == input)
        }
    }

    @Test func mismatchedResolutionsAreRefused() throws {
        let cell = try H3Cell("8928308280fffff")
        #expect(throws: H3Error.self) { try cell.parent(at: H3Resolution(10)) }
        #expect(throws: H3Error.self) { try cell.children(at: H3Resolution(8)) }
        let parent = try cell.parent(at: H3Resolution(8))
        #expect(throws: H3Error.self) { try H3Compaction.compact([cell, parent]) }
        #expect(throws: H3Error.self) { try H3Compaction.compact([cell, cell]) }
        #expect(throws: H3Error.self) { try H3Compaction.uncompact([cell], to: H3Resolution(5)) }
    }
}
