// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tessera", targets: ["tessera"]),
        .library(name: "TesseraGeometry", targets: ["TesseraGeometry"]),
        .library(name: "TesseraGrids", targets: ["TesseraGrids"]),
        // For the fuzzers of benchmarks/fuzz (their own package): the readers of configuration, API
        // bodies and stored payloads.
        .library(name: "TesseraCatalog", targets: ["TesseraCatalog"]),
        .library(name: "TesseraDelivery", targets: ["TesseraDelivery"]),
        .library(name: "TesseraInvalidation", targets: ["TesseraInvalidation"]),
        .library(name: "TesseraServer", targets: ["TesseraServer"]),
        .library(name: "TesseraApp", targets: ["TesseraApp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
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
        // The layers of the data path, bottom up; a module imports only modules above it in this
        // list (Tests/LayeringTests checks it, README "Architecture" explains it).
        .target(
            name: "TesseraPostgres",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [
                .embedInCode("Migrations/001_schema.sql"),
                .embedInCode("Migrations/002_watch.sql"),
                .embedInCode("Migrations/003_delivery.sql"),
                .embedInCode("Migrations/004_outbox.sql"),
                .embedInCode("Migrations/005_dispatch.sql"),
                .embedInCode("Migrations/006_attempts_cascade.sql"),
                .embedInCode("Migrations/007_delivery_output.sql"),
                .embedInCode("Migrations/008_partition_maps.sql"),
                .embedInCode("Migrations/009_instances.sql"),
                .embedInCode("Migrations/010_latency.sql"),
                .embedInCode("Migrations/011_outputs.sql"),
            ]
        ),
        .target(
            name: "TesseraCapture",
            dependencies: [
                "TesseraGeometry",
                "TesseraPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TesseraCatalog",
            dependencies: [
                "TesseraGeometry",
                "TesseraGrids",
                "TesseraPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TesseraDelivery",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                "CZstd",
                "CZlib",
                "TesseraGeometry",
                "TesseraPostgres",
                "TesseraCatalog",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TesseraInvalidation",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                "TesseraGeometry",
                "TesseraGrids",
                "TesseraPostgres",
                "TesseraCapture",
                "TesseraCatalog",
                "TesseraDelivery",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Payloads/tessera.proto"]
        ),
        .target(
            name: "TesseraServer",
            dependencies: [
                "TesseraCapture",
                "TesseraInvalidation",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "TesseraGeometry",
                "TesseraGrids",
                "TesseraPostgres",
                "TesseraCatalog",
                "TesseraDelivery",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [
                .embedInCode("Resources/openapi.json"),
                .embedInCode("Resources/status.html"),
            ]
        ),
        .target(
            name: "TesseraApp",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "TesseraGeometry",
                "TesseraPostgres",
                "TesseraCapture",
                "TesseraCatalog",
                "TesseraDelivery",
                "TesseraInvalidation",
                "TesseraServer",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraGeometry",
                "TesseraGrids",
                "TesseraPostgres",
                "TesseraCatalog",
                "TesseraApp",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "TesseraTestSupport",
            dependencies: ["TesseraGeometry"],
            path: "Tests/TesseraTestSupport"
        ),
        .target(
            name: "TesseraDatabaseTestSupport",
            dependencies: [
                "TesseraPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TesseraDatabaseTestSupport"
        ),
        .testTarget(
            name: "TesseraCaptureTests",
            dependencies: [
                "TesseraCapture", "TesseraPostgres", "TesseraDatabaseTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TesseraInvalidationTests",
            dependencies: [
                "TesseraInvalidation", "TesseraCapture", "TesseraCatalog", "TesseraDelivery", "TesseraGrids",
                "TesseraGeometry", "TesseraPostgres",
                "TesseraDatabaseTestSupport", "TesseraTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "TesseraDeliveryTests",
            dependencies: [
                "TesseraDelivery", "TesseraCatalog", "TesseraGeometry", "TesseraPostgres", "TesseraDatabaseTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TesseraServerTests",
            dependencies: [
                "TesseraServer", "TesseraInvalidation", "TesseraDelivery", "TesseraCatalog", "TesseraGrids",
                "TesseraPostgres",
                "TesseraDatabaseTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
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
            name: "TesseraPostgresTests",
            dependencies: ["TesseraPostgres", "TesseraDatabaseTestSupport"]
        ),
        .testTarget(
            name: "TesseraCatalogTests",
            dependencies: [
                "TesseraCatalog", "TesseraGeometry", "TesseraGrids", "TesseraPostgres", "TesseraDatabaseTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TesseraAppTests",
            dependencies: [
                "TesseraApp", "TesseraCapture", "TesseraCatalog", "TesseraDelivery", "TesseraPostgres",
                "TesseraDatabaseTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "LayeringTests"),
        .testTarget(
            name: "TesseraCLITests",
            dependencies: [
                "tessera", "TesseraPostgres", "TesseraTestSupport", "TesseraDatabaseTestSupport", "TesseraDelivery",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "CZstdTests",
            dependencies: ["CZstd"]
        ),
    ]
)
