import GHPKit
import Testing

/// Cases from git's documentation (gitignore's "Two consecutive asterisks", glob pathspecs) and
/// from its wildmatch test table (t3070), matched with WM_PATHNAME as `:(glob)` pathspecs are.
@Suite struct GlobTests {
  static let cases: [(pattern: String, path: String, matches: Bool)] = [
    // "A leading ** followed by a slash means match in all directories."
    ("**/foo", "foo", true), ("**/foo", "a/foo", true), ("**/foo", "a/b/foo", true), ("**/foo", "foobar", false),
    ("**/foo/bar", "foo/bar", true), ("**/foo/bar", "x/y/foo/bar", true), ("**/foo/bar", "foo/baz", false),
    // "A trailing /** matches everything inside."
    ("abc/**", "abc/x", true), ("abc/**", "abc/x/y/z", true), ("abc/**", "abc", false), ("abc/**", "abcd/x", false),
    // "A slash followed by two consecutive asterisks then a slash matches zero or more directories."
    ("a/**/b", "a/b", true), ("a/**/b", "a/x/b", true), ("a/**/b", "a/x/y/b", true), ("a/**/b", "a/xb", false),
    // "Other consecutive asterisks are considered regular asterisks."
    ("a**b", "axb", true), ("a**b", "a/b", false), ("**", "anything/at/all", true), ("**", "x", true),
    // "*" and "?" do not cross a slash (glob pathspec: "foo/*" is not "foo/bar/hello.c").
    ("foo/*", "foo/test.json", true), ("foo/*", "foo/bar/hello.c", false), ("*", "a/b", false),
    ("*.swift", "a.swift", true),
    ("*.swift", "Sources/a.swift", false), ("Documentation/*.html", "Documentation/git.html", true),
    ("Documentation/*.html", "Documentation/ppc/ppc.html", false), ("?", "/", false), ("a?c", "abc", true),
    ("*/b", "a/b", true), ("*/b", "a/x/b", false),
    // Character classes, ranges, negation, and escapes (t3070).
    ("[a-c]x", "bx", true), ("[a-c]x", "dx", false), ("[!a-c]x", "dx", true), ("[^a-c]x", "ax", false),
    ("[]]", "]", true), ("[]-]", "-", true), ("[[:digit:]]", "5", true), ("[[:digit:]]", "a", false),
    ("[[:alpha:]][[:digit:]]", "a1", true), ("[[:upper:]]", "a", false), ("[[:xdigit:]]", "F", true),
    ("\\*", "*", true), ("\\*", "a", false), ("\\[ab]", "[ab]", true), ("a\\?", "a?", true), ("a\\?", "ab", false),
    ("[/]", "/", false), ("a[/]b", "a/b", false),
    // Scopes as ghp uses them.
    ("Sources/Core/**", "Sources/Core/Ledger.swift", true), ("Sources/Core/**", "Sources/CoreData/x.swift", false),
    ("README*", "README.md", true), ("README*", "docs/README.md", false), ("/README.md", "README.md", true),
    ("Sources/**/*.swift", "Sources/a.swift", true), ("Sources/**/*.swift", "Sources/x/y/a.swift", true),
    ("Sources/**/*.swift", "Tests/a.swift", false),
  ]

  @Test(arguments: cases) func matchesAsGitDoes(_ example: (pattern: String, path: String, matches: Bool)) {
    #expect(Glob(example.pattern).matches(example.path) == example.matches, "\(example.pattern) vs \(example.path)")
  }

  /// What a scope holds, as a manager's approvals and sub-issue scopes are checked: anything not
  /// provably inside is outside.
  @Test func containsOnlyWhatItCanProveInside() {
    let inside: [(String, String)] = [
      ("src/auth/**", "src/auth/login.swift"), ("src/auth/**", "src/auth/*.swift"), ("src/auth/**", "src/auth/a/**"),
      ("src/*.swift", "src/main.swift"), ("**", "anything/at/all"), ("**", "*.md"), ("README.md", "README.md"),
      ("src/**/*.swift", "src/**/*.swift"),
    ]
    let outside: [(String, String)] = [
      ("src/auth/**", "src/authx/login.swift"), ("src/auth/**", "src/**"), ("src/auth/**", "src/*.swift"),
      ("src/*.swift", "src/*/x.swift"), ("src/*.swift", "src/*.md"), ("src/**/*.swift", "src/**"),
      ("src/a*/**", "src/ab/x.swift/**"), ("README.md", "README.md.bak"), ("src/auth/**", "*"),
    ]
    for (scope, glob) in inside { #expect(Glob(scope).contains(Glob(glob)), "\(glob) inside \(scope)") }
    for (scope, glob) in outside { #expect(!Glob(scope).contains(Glob(glob)), "\(glob) outside \(scope)") }
  }
}
