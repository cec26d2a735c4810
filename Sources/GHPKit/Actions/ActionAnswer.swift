/// What an action answers, for every surface alike: `json` is what `ghp … --json` prints and what the
/// MCP tool returns; `lines` what a person reads (the CLI's standard output, the page's message);
/// `notes` what goes beside them (the CLI's standard error): a warning, what happened to the code.
public protocol ActionAnswer {
  /// The answer as one JSON value.
  var json: JSON { get }
  /// The answer for a person, one sentence a line.
  var lines: [String] { get }
  /// Side remarks for a person (standard error in the CLI).
  var notes: [String] { get }
}

extension ActionAnswer {
  /// No side remarks.
  public var notes: [String] { [] }
}

extension Optional where Wrapped == ObjectID {
  /// A commit id as an answer carries it: its hex, or null when nothing was written.
  var answerJSON: JSON { map { .string($0.hex) } ?? .null }
}

/// An issue after an action changed it (`done`, `fail`, `release`, `claim`): the issue, the commit
/// and the sentence a person reads.
public struct IssueAnswer: ActionAnswer {
  /// The issue as the action left it.
  public var issue: Issue
  /// The state commit that landed, nil when nothing changed.
  public var commit: ObjectID?
  /// The sentence for a person.
  public var sentence: String

  /// An answer whose sentence is `verb #id title (status, epoch N).`.
  public init(issue: Issue, commit: ObjectID?, verb: String) {
    self.init(
      issue: issue, commit: commit,
      sentence: "\(verb) #\(issue.id) \(issue.title) (\(issue.status.rawValue), epoch \(issue.epoch)).")
  }

  /// An answer with a sentence of its own.
  public init(issue: Issue, commit: ObjectID?, sentence: String) {
    self.issue = issue
    self.commit = commit
    self.sentence = sentence
  }

  /// The answer as `--json` prints it and the MCP tool returns it.
  public var json: JSON { .object(["issue": issue.answerJSON, "commit": commit.answerJSON]) }
  /// The answer for a person, one sentence a line.
  public var lines: [String] { [sentence] }
}
