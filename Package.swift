// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Lifeboat",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "DICOM", targets: ["DICOM"]),
        .library(name: "DICOMNetwork", targets: ["DICOMNetwork"]),
        .library(name: "Archive", targets: ["Archive"]),
        .library(name: "S3", targets: ["S3"]),
        .executable(name: "lifeboat", targets: ["lifeboat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.24.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    ],
    targets: [
        // zlib for the Deflated Explicit VR Little Endian transfer syntax (PS3.5 A.5).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "DICOM", dependencies: ["CZlib"]),
        // The codec libraries' C boundary: DCMTK's IJG decoders (JPEG 8/12/16-bit, lossless),
        // CharLS (JPEG-LS), OpenJPEG (JPEG 2000, HTJ2K); Debian's -dev packages, see Scripts/build-deps.sh.
        .target(
            name: "CCodecs",
            linkerSettings: [
                .linkedLibrary("openjp2"), .linkedLibrary("charls"), .linkedLibrary("jpeg"), .linkedLibrary("dcmjpeg"), .linkedLibrary("ijg8"),
                .linkedLibrary("ijg12"), .linkedLibrary("ijg16"), .linkedLibrary("dcmimgle"), .linkedLibrary("dcmdata"),
                .linkedLibrary("oflog"), .linkedLibrary("ofstd"), .linkedLibrary("stdc++"),
            ]
        ),
        // Pixel data decoded through those libraries behind a thin typed wrapper; RLE in Swift.
        .target(name: "Codecs", dependencies: ["DICOM", "CCodecs"]),
        .target(
            name: "DICOMNetwork",
            dependencies: [
                "DICOM", "Codecs", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "CSystemExtras"),
        // The zero-loss core: blob store, catalog, durable ingest.
        .target(
            name: "Archive",
            dependencies: [
                "DICOM", "CSystemExtras", .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // A small S3 client: SigV4, checksums, multipart upload, object lock.
        .target(
            name: "S3",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Copies to other sites: targets, the outbox workers.
        .target(
            name: "Replication",
            dependencies: [
                "Archive", "DICOM", "DICOMNetwork", "S3", .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Proof that every copy is intact, and the repair of those that are not.
        .target(
            name: "Protection",
            dependencies: ["Archive", "Replication", .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Keeping work going through a PACS outage, and giving the PACS back what it missed.
        .target(
            name: "Continuity",
            dependencies: [
                "Archive", "DICOM", "DICOMNetwork", "Replication", "Protection", .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Who may do what, and the tamper-evident record of what was done.
        .target(
            name: "Security",
            dependencies: [
                "Archive", "DICOMNetwork", .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // HTTP: DICOMweb (PS3.18), the browser viewer.
        .target(
            name: "Web",
            dependencies: [
                "DICOM", "Codecs", "Archive", "Replication", "Continuity", "Security", "CZlib", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            // The viewer's files are compiled in (Scripts/embed-ui.py), not shipped beside the binary.
            exclude: ["UI/Assets"]
        ),
        // The composition root: configuration and wiring of a node.
        .target(
            name: "LifeboatServer",
            dependencies: [
                "Archive", "DICOMNetwork", "Web", "Replication", "Protection", "Continuity", "S3", "Security", .product(name: "Yams", package: "Yams"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "lifeboat",
            dependencies: [
                "DICOM", "DICOMNetwork", "Archive", "LifeboatServer", "Security", "Replication", "Continuity", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Replays inputs in an ordinary build; Fuzz/run-pdu.sh builds it for libFuzzer.
        .executableTarget(
            name: "PDUFuzz", dependencies: ["DICOMNetwork", .product(name: "NIOCore", package: "swift-nio")], path: "Fuzz/PDUFuzz"
        ),
        .executableTarget(name: "CodecFuzz", dependencies: ["Codecs"], path: "Fuzz/CodecFuzz"),
        .executableTarget(name: "HeaderParseBenchmark", dependencies: ["DICOM"], path: "Benchmarks/HeaderParseBenchmark"),
        .executableTarget(name: "CodecBenchmark", dependencies: ["Codecs"], path: "Benchmarks/CodecBenchmark"),
        // Running real peers and helpers from tests.
        .target(
            name: "TestSupport", dependencies: ["Archive", "Continuity", "DICOM", "DICOMNetwork", "Protection", "Replication", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/TestSupport", exclude: ["Helpers"]
        ),
        .testTarget(
            name: "DICOMTests",
            dependencies: ["DICOM", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")],
            exclude: ["Helpers"]
        ),
        .testTarget(
            name: "DICOMNetworkTests",
            dependencies: [
                "DICOMNetwork", "TestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "CodecsTests", dependencies: ["Codecs"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "TestSupport"]),
        .testTarget(name: "S3Tests", dependencies: ["S3", "TestSupport"]),
        .testTarget(name: "SecurityTests", dependencies: ["Security", "DICOMNetwork", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ReplicationTests", dependencies: ["Replication", "Archive", "DICOM", "DICOMNetwork", "S3", "TestSupport"]),
        .testTarget(name: "ProtectionTests", dependencies: ["Protection", "Replication", "Archive", "S3", "TestSupport"]),
        .testTarget(name: "ContinuityTests", dependencies: [
            "Continuity", "Archive", "DICOM", "DICOMNetwork", "Protection", "Replication", "S3", "Security", "TestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "LifeboatServerTests", dependencies: ["LifeboatServer", "DICOM", "DICOMNetwork", "Archive", "Security", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(
            name: "WebTests",
            dependencies: [
                "Web", "Archive", "Continuity", "DICOM", "Security", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            exclude: ["Helpers"]
        ),
        .testTarget(
            name: "lifeboatTests",
            dependencies: [
                "lifeboat", "Archive", "DICOM", "DICOMNetwork", "S3", "Replication", "Protection", "Security", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["Helpers"]
        ),
        // Against real peers: dcmtk and pynetdicom, started by the tests on loopback ports.
        .testTarget(name: "InteropTests", dependencies: ["DICOMNetwork", "Codecs", "Continuity", "Archive", "LifeboatServer", "Web", "Security", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
