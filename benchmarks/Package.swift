// swift-tools-version:6.1
// Benchmarks live in their own package so the main build and CI never compile them.
// Build: swift build -c release --package-path benchmarks
import Foundation
import PackageDescription

// The Tessera package is the parent folder; a path dependency's identity is its folder name.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let tessera = root.lastPathComponent

let package = Package(
    name: "TesseraBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: root.path)
    ],
    targets: [
        .executableTarget(
            name: "cover-bench",
            dependencies: [
                .product(name: "TesseraGrids", package: tessera),
                .product(name: "TesseraGeometry", package: tessera),
            ],
            path: "Sources/cover-bench"
        ),
        .executableTarget(
            name: "h3-bench",
            dependencies: [
                .product(name: "TesseraGrids", package: tessera),
                .product(name: "TesseraGeometry", package: tessera),
            ],
            path: "Sources/h3-bench"
        ),
        .executableTarget(
            name: "partition-bench",
            dependencies: [
                .product(name: "TesseraGrids", package: tessera)
            ],
            path: "Sources/partition-bench"
        ),
        .executableTarget(
            name: "s2-bench",
            dependencies: [
                .product(name: "TesseraGrids", package: tessera),
                .product(name: "TesseraGeometry", package: tessera),
            ],
            path: "Sources/s2-bench"
        ),
    ]
)
