/// The operations `ghp land` records on `ghp/state`: the lease (one lander per base), a passed
/// gate with its evidence (before the base moves), the landing itself, and a bounce back to the
/// agent. Each records every input it was given, so `ghp verify` re-executes it.

/// One gate command's outcome, as recorded: the command, its exit code (128 + signal when killed),
/// how long it ran, whether the timeout killed it, and the last lines of its output.
public struct GateCommandResult: Equatable, Sendable, Codable {
  /// The gate command as configured, run with `/bin/sh -c` in the merge's checkout.
  public var command: String
  /// Its exit code; 128 + the signal number when a signal killed it.
  public var exit: Int
  /// How long it ran, in milliseconds.
  public var milliseconds: Int
  /// True when the gate's timeout killed it.
  public var timedOut: Bool
  /// The last lines of its output (at most 20 lines and 2000 bytes), safe for a terminal.
  public var tail: String

  /// One command's outcome as the gate runner measured it.
  public init(command: String, exit: Int, milliseconds: Int, timedOut: Bool, tail: String) {
    self.command = command
    self.exit = exit
    self.milliseconds = milliseconds
    self.timedOut = timedOut
    self.tail = tail
  }

  /// True when it exited 0 before the timeout.
  public var passed: Bool { exit == 0 && !timedOut }

  /// The outcome as the landing operations and the evidence record it.
  public var json: JSON { JSONEncoding.encode(self) }

  /// "`swift test` exited 1 after 12.3s" / "timed out after 20m".
  public var summary: String {
    let seconds = Double(milliseconds) / 1000
    let took = seconds < 10 ? "\((seconds * 10).rounded() / 10)s" : "\(Int(seconds.rounded()))s"
    if timedOut { return "`\(command)` timed out after \(took)" }
    return "`\(command)` exited \(exit) after \(took)"
  }
}
