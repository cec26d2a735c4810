/// What a `ghp run` worker inherits of the supervisor's environment: an allowlist. The supervisor
/// is often a person's shell or the lead's session, holding the page's token (`GHP_SERVE_TOKEN`),
/// a git credential (`GHP_GIT_TOKEN`) and an ssh agent (`SSH_AUTH_SOCK`); a worker runs an agent
/// that may be careless or hostile, so it gets only what a program needs, what its preset's
/// agent reads (its API key, its configuration folder), and the names `[agent] env` adds.
public enum WorkerEnvironment {
  /// What every program needs.
  static let base = [
    "PATH", "HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TERM", "USER", "LOGNAME", "SHELL", "TMPDIR", "TZ",
    "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "NO_COLOR",
    // Who the worker's commits are by (an identity, not a credential), and a fixed clock if one is set.
    "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_CONFIG_NOSYSTEM",
    "GIT_CONFIG_GLOBAL", "GHP_NOW",
  ]

  /// The variables each preset's agent documents that it reads.
  static let presets: [String: [String]] = [
    "claude": [
      "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "CLAUDE_CONFIG_DIR",
      "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "AWS_REGION", "AWS_PROFILE", "CLOUD_ML_REGION",
      "ANTHROPIC_VERTEX_PROJECT_ID", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY",
    ],
    "codex": ["OPENAI_API_KEY", "OPENAI_BASE_URL", "CODEX_HOME", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"],
  ]

  /// The names a preset's agent reads; none for a command line (`[agent] env` names them).
  public static func names(of preset: String?) -> [String] { preset.flatMap { presets[$0] } ?? [] }

  /// The environment a worker starts with: `base` and `names`, taken from `supervisor`.
  public static func make(from supervisor: [String: String], names: [String]) -> [String: String] {
    EnvironmentNames.pick(base + names, from: supervisor)
  }
}
