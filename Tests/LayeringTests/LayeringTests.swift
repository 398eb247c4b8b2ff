import Foundation
import Testing

/// The module map of README "Architecture", checked against every `import` under `Sources/`: data flows
/// one way, so a module imports only modules of lower layers, never a sibling or one above it.
@Suite struct LayeringTests {
    /// The layers, bottom up. Modules of one layer are siblings (they may not import each other).
    static let layers: [[String]] = [
        ["CGEOS", "CZstd", "CZlib"],
        ["TesseraGeometry"],
        ["TesseraGrids"],
        ["TesseraPostgres"],
        ["TesseraCapture", "TesseraCatalog"],
        ["TesseraDelivery"],
        ["TesseraInvalidation"],
        ["TesseraServer"],
        ["TesseraApp"],
        ["tessera"],
    ]

    /// Imports refused beyond the layer rule, each with its reason.
    static let forbidden: [String: [String: String]] = [
        // The queue, the dispatcher and the outputs carry payloads; they know nothing of tiles.
        "TesseraDelivery": ["TesseraGrids": "delivery knows nothing of tiles"]
    ]

    /// Pure modules: no I/O, no event loops, no database, no HTTP.
    static let pure: Set<String> = ["TesseraGeometry", "TesseraGrids"]
    static let pureMayImport: Set<String> = ["Foundation", "Synchronization", "Glibc", "Musl", "Darwin", "CGEOS"]

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func layer(of module: String) -> Int? { layers.firstIndex { $0.contains(module) } }

    /// Every module folder under `Sources/` and the modules its Swift files import.
    static func imports() throws -> [String: Set<String>] {
        let sources = root.appendingPathComponent("Sources")
        var result: [String: Set<String>] = [:]
        for module in try FileManager.default.contentsOfDirectory(atPath: sources.path) {
            let folder = sources.appendingPathComponent(module)
            var imported = Set<String>()
            let files = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ")
                    // `import X`, `@testable import X`, `public import X`; `import struct X.Y` names X.Y's module.
                    guard let i = words.firstIndex(of: "import"), i + 1 < words.count,
                        words[..<i].allSatisfy({ $0.hasPrefix("@") || ["public", "internal", "package"].contains($0) })
                    else { continue }
                    var name = words[i + 1]
                    if ["struct", "class", "enum", "protocol", "func", "typealias"].contains(name), i + 2 < words.count
                    {
                        name = words[i + 2]
                    }
                    imported.insert(String(name.split(separator: ".")[0]))
                }
            }
            result[module] = imported
        }
        return result
    }

    /// What breaks the rules in `imports`, one line each.
    static func violations(_ imports: [String: Set<String>]) -> [String] {
        var found: [String] = []
        for (module, imported) in imports.sorted(by: { $0.key < $1.key }) {
            guard let own = layer(of: module) else {
                found.append("\(module) is in no layer of LayeringTests.layers (and README)")
                continue
            }
            for name in imported.sorted() {
                if let other = layer(of: name) {
                    if other >= own { found.append("\(module) (layer \(own)) imports \(name) (layer \(other))") }
                    if let reason = forbidden[module]?[name] { found.append("\(module) imports \(name): \(reason)") }
                } else if pure.contains(module), !pureMayImport.contains(name) {
                    found.append("\(module) imports \(name): it must stay free of I/O")
                }
            }
        }
        return found
    }

    @Test func theSourcesKeepTheLayers() throws {
        let imports = try Self.imports()
        #expect(imports["TesseraDelivery"] != nil, "Sources/ not found at \(Self.root.path)")
        #expect(Self.violations(imports) == [])
    }

    /// The check itself finds each kind of break.
    @Test func breaksAreFound() {
        #expect(
            Self.violations(["TesseraDelivery": ["TesseraInvalidation", "NIOCore"]]) == [
                "TesseraDelivery (layer 5) imports TesseraInvalidation (layer 6)"
            ]
        )
        #expect(
            Self.violations(["TesseraCatalog": ["TesseraCapture"]]) == [
                "TesseraCatalog (layer 4) imports TesseraCapture (layer 4)"
            ]
        )
        #expect(
            Self.violations(["TesseraDelivery": ["TesseraGrids"]]) == [
                "TesseraDelivery imports TesseraGrids: delivery knows nothing of tiles"
            ]
        )
        #expect(
            Self.violations(["TesseraGrids": ["NIOCore", "TesseraGeometry"]]) == [
                "TesseraGrids imports NIOCore: it must stay free of I/O"
            ]
        )
        #expect(
            Self.violations(["TesseraRouting": []]) == [
                "TesseraRouting is in no layer of LayeringTests.layers (and README)"
            ]
        )
        #expect(Self.violations(["TesseraApp": ["TesseraServer", "TesseraGeometry", "Logging"]]) == [])
    }
}
