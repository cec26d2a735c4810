// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "ghp",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "ghp", targets: ["ghp"]),
    .executable(name: "ghp-mcp", targets: ["ghp-mcp"]),
    .library(name: "GHPKit", targets: ["GHPKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
  ],
  targets: [
    .systemLibrary(
      name: "CLibGit2",
      pkgConfig: "libgit2",
      providers: [.apt(["libgit2-dev"])]
    ),
    // Starting supervised workers (`ghp run`): fork and exec in C, where the child side is safe.
    .target(name: "CProcess"),
    .target(
      name: "GHPKit",
      dependencies: [
        "CLibGit2", "CProcess", .product(name: "Mustache", package: "swift-mustache"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .executableTarget(
      name: "ghp",
      dependencies: [
        "GHPKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
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
    .executableTarget(
      name: "ghp-bench",
      dependencies: ["GHPKit"],
      swiftSettings: [.swiftLanguageMode(.v5)]
    ),
    .target(
      name: "GHPTestSupport",
      dependencies: ["GHPKit"],
      path: "Tests/Support"
    ),
    .testTarget(
      name: "GHPKitTests",
      dependencies: ["GHPKit", "GHPTestSupport"]
    ),
    .testTarget(
      name: "ghpTests",
      dependencies: ["ghp", "ghp-mcp", "GHPKit", "GHPTestSupport"]
    ),
  ]
)
