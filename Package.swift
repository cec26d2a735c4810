// swift-tools-version:6.1
import PackageDescription

let package = Package(
  name: "ghp",
  // Linux only: ghp reads process identity, lock holders and parent death from /proc and prctl
  // (GHPKit/Support/Platform.swift). A macOS port starts there.
  products: [
    .executable(name: "ghp", targets: ["ghp"]),
    .executable(name: "ghp-mcp", targets: ["ghp-mcp"]),
    .executable(name: "ghp-serve", targets: ["ghp-serve"]),
    .library(name: "GHPKit", targets: ["GHPKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    // The page (`ghp serve`). Its default traits pull in swift-configuration and full Foundation,
    // which the page needs neither of.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CLibGit2",
      pkgConfig: "libgit2",
      providers: [.apt(["libgit2-dev"])]
    ),
    // Starting supervised workers (`ghp run`): fork and exec in C, where the child side is safe.
    .target(name: "CProcess"),
    // Certificates parsed only when a network step needs them, not at every libgit2 start
    // (Sources/CDeferredCertificates/include/ghp_certificates.h says how).
    .target(name: "CDeferredCertificates", linkerSettings: [.linkedLibrary("dl")]),
    // A transaction's objects flushed together, not one fsync each
    // (Sources/CObjectBatch/include/ghp_object_batch.h).
    .target(name: "CObjectBatch", dependencies: ["CLibGit2"], linkerSettings: [.linkedLibrary("z")]),
    // Ed25519 and SHA-512 for the agents' commit signatures, through the libcrypto libgit2's ssh
    // transport already loads (libssl-dev comes with libgit2-dev).
    .target(name: "CEd25519", linkerSettings: [.linkedLibrary("crypto")]),
    // TCP_NODELAY on libgit2's sockets (Sources/CTCPNoDelay/include/ghp_tcp_nodelay.h says why).
    .target(name: "CTCPNoDelay", linkerSettings: [.linkedLibrary("dl")]),
    .target(
      name: "GHPKit",
      dependencies: [
        "CLibGit2", "CProcess", "CDeferredCertificates", "CObjectBatch", "CEd25519", "CTCPNoDelay",
      ]
    ),
    // The command line: every command, how it prints (`Console`) and its exit codes (`GHPMain`), in a
    // library so that tests run it in process.
    .target(
      name: "GHPCommands",
      dependencies: [
        "GHPKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(name: "ghp", dependencies: ["GHPCommands", "GHPKit"]),
    // The MCP server is its own executable: the SDK links FoundationNetworking and with it libcurl
    // and some twenty-five shared libraries, which would double every ghp command's start-up.
    // `ghp mcp` runs it from beside the ghp binary.
    .executableTarget(
      name: "ghp-mcp",
      dependencies: [
        "GHPKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "MCP", package: "swift-sdk"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // The page a human looks at is its own executable too, for the same reason: the web server's
    // libraries (SwiftNIO and its kin) stay out of every other command. `ghp serve` runs it.
    .executableTarget(
      name: "ghp-serve",
      dependencies: [
        "GHPCommands",
        "GHPKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(
      name: "ghp-bench",
      dependencies: ["GHPKit"],
      swiftSettings: [.swiftLanguageMode(.v5)]
    ),
    .target(
      name: "GHPTestSupport",
      dependencies: ["GHPKit", "GHPCommands"],
      path: "Tests/Support"
    ),
    .testTarget(
      name: "GHPKitTests",
      dependencies: ["GHPKit", "GHPTestSupport"]
    ),
    .testTarget(
      name: "ghpTests",
      dependencies: ["ghp", "ghp-mcp", "ghp-serve", "GHPCommands", "GHPKit", "GHPTestSupport"]
    ),
  ]
)
