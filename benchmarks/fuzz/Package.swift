// swift-tools-version:6.1
// libFuzzer targets for Tessera's readers of untrusted bytes. Their own package, so that neither
// the main build nor CI compiles them; run.sh builds them with -sanitize=fuzzer and runs them.
//
//   benchmarks/fuzz/run.sh                 build, then run every target (TESSERA_FUZZ_RUNS each)
//   benchmarks/fuzz/run.sh wkb geojson     only these targets
import Foundation
import PackageDescription

// The Tessera package is two folders up; a path dependency's identity is its folder name.
let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let tessera = root.lastPathComponent

/// One executable per fuzzer: `LLVMFuzzerTestOneInput` and the entry point SwiftPM links as `main`.
func fuzzer(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: "fuzz-\(name)",
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: tessera) },
        path: "Sources/fuzz-\(name)",
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "TesseraFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: root.path)
    ],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver (see Sources/FuzzSupport/include/FuzzSupport.h).
        .target(name: "FuzzSupport"),
        fuzzer("geojson", ["TesseraGeometry"]),
        fuzzer("wkb", ["TesseraGeometry"]),
        fuzzer("config", ["TesseraApp", "TesseraCatalog", "TesseraGeometry"]),
        fuzzer("api", ["TesseraServer", "TesseraDelivery", "TesseraCatalog", "TesseraGeometry"]),
        fuzzer("payload", ["TesseraInvalidation", "TesseraDelivery", "TesseraCatalog"]),
    ]
)
