import Foundation
import Testing

@testable import GHPKit

/// Whole-file reads: a regular file in one buffer of its size, anything else (a pipe) in chunks,
/// and a limit that refuses what is larger.
@Suite struct FilesTests {
  func scratch(_ bytes: [UInt8]) throws -> String {
    let path = "/tmp/ghp-files-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try Files.replace(path, with: bytes)
    return path
  }

  @Test func aFileIsReadWholeWhateverItsSize() throws {
    for size in [0, 1, 65_535, 65_536, 65_537, 300_001] {
      let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
      let path = try scratch(bytes)
      defer { unlink(path) }
      #expect(Files.read(path) == bytes, "\(size) bytes")
    }
  }

  @Test func aLimitRefusesALargerFileAndAPipeIsReadToItsEnd() throws {
    let bytes = [UInt8](repeating: 7, count: 100_000)
    let path = try scratch(bytes)
    defer { unlink(path) }
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    #expect(Files.readAll(fd, limit: 99_999) == nil)
    var ends: [Int32] = [0, 0]
    try #require(pipe(&ends) == 0)
    // A writer on its own thread: the pipe holds less than the bytes.
    let writeEnd = ends[1]
    Thread.detachNewThread {
      var offset = 0
      while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(writeEnd, $0.baseAddress! + offset, $0.count - offset) }
        if written <= 0 { break }
        offset += written
      }
      close(writeEnd)
    }
    defer { close(ends[0]) }
    #expect(Files.readAll(ends[0], limit: Int.max) == bytes)
  }
}
