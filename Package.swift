// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tessera", targets: ["tessera"]),
        .library(name: "TesseraGeometry", targets: ["TesseraGeometry"]),
        .library(name: "TesseraGrids", targets: ["TesseraGrids"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        .systemLibrary(
            name: "CGEOS",
            pkgConfig: "geos",
            providers: [.apt(["libgeos-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .target(
            name: "TesseraGeometry",
            dependencies: ["CGEOS"]
        ),
        .target(
            name: "TesseraGrids",
            dependencies: ["TesseraGeometry"],
            exclude: ["Tiles/Definitions/generate_tms.py"],
            resources: [
                .embedInCode("Tiles/Definitions/WebMercatorQuad.json"),
                .embedInCode("Tiles/Definitions/WorldCRS84Quad.json"),
            ]
        ),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraGeometry",
                "TesseraGrids",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "TesseraTestSupport",
            dependencies: ["TesseraGeometry"],
            path: "Tests/TesseraTestSupport"
        ),
        .testTarget(
            name: "TesseraGeometryTests",
            dependencies: ["TesseraGeometry", "TesseraTestSupport"]
        ),
        .testTarget(
            name: "TesseraGridsTests",
            dependencies: ["TesseraGrids", "TesseraGeometry", "TesseraTestSupport"]
        ),
        .testTarget(
            name: "TesseraCLITests",
            dependencies: ["tessera", "TesseraTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "CZstdTests",
            dependencies: ["CZstd"]
        ),
    ]
)
