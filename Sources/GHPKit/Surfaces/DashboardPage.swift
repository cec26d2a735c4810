/// Renders a `Dashboard` into HTML with `templates/page.html` and its `dashboard.html` part, for
/// `ghp serve` (live: the page follows the state and can answer) and `ghp report --html` (one
/// static file). Mustache escapes every value (`{{x}}`), and the templates use no unescaped
/// ones, so no text an agent wrote becomes markup. The HTML templates are always the embedded
/// ones: an override on `ghp/state`, which agents write, could unescape what they write.
public enum DashboardPage {
  static let library: [String: Mustache] = {
    var library: [String: Mustache] = [:]
    for file in Templates.pages {
      let name = String(file.prefix { $0 != "." })
      // The embedded templates are checked by the tests; a broken one is a build defect.
      library[name] = try! Mustache(Embedded.templates[file]!)
    }
    return library
  }()

  /// How the page is served.
  public struct Options: Sendable {
    /// Served by `ghp serve`: follows the state, offers the answer and approve forms.
    public var live: Bool
    /// The identity writes act as, when the server takes writes.
    public var actor: String?
    /// True when the server takes writes: the page offers its answer and approve forms.
    public var writable: Bool
    /// The document's `<title>`.
    public var title: String

    /// Options for one rendering; by default no writer and read-only.
    public init(live: Bool, actor: String? = nil, writable: Bool = false, title: String) {
      self.live = live
      self.actor = actor
      self.writable = writable
      self.title = title
    }
  }

  /// The whole document. `nonce` authorises its inline script and style (the page's own content
  /// security policy allows nothing else).
  public static func page(_ view: Dashboard, options: Options, nonce: String) -> String {
    var values = context(view, options: options)
    values["nonce"] = nonce
    values["title"] = options.title
    values["actor"] = options.actor ?? ""
    values["writable"] = options.writable
    return library["page"]!.render(values, escaping: true, partials: library)
  }

  /// The part the live page swaps in when the state moves.
  public static func fragment(_ view: Dashboard, options: Options) -> String {
    library["dashboard"]!.render(context(view, options: options), escaping: true, partials: library)
  }

  /// A fresh nonce for one response.
  public static func nonce() -> String { RandomHex.make(bytes: 16) }

  static func context(_ view: Dashboard, options: Options) -> [String: Any] {
    var values = (mustache(view.json) as? [String: Any]) ?? [:]
    values["live"] = options.live
    // What a person reads, made here: the view's JSON (`report --json`, the page's API) keeps
    // seconds and times only.
    func described(_ list: Any?, from key: String, as name: String) -> [Any]? {
      (list as? [Any])?.map { item -> Any in
        guard var fields = item as? [String: Any], let seconds = fields[key] as? Int else { return item }
        fields[name] = Duration.describe(Int64(seconds))
        return fields
      }
    }
    values["agents"] = described(values["agents"], from: "age", as: "ageText") ?? values["agents"]
    values["escalations"] = described(values["escalations"], from: "askedAge", as: "askedAgo") ?? values["escalations"]
    if let seconds = values["staleAfter"] as? Int { values["staleAfterText"] = Duration.describe(Int64(seconds)) }
    values["timelineDays"] = days(values["timeline"] as? [Any] ?? [])
    return values
  }

  /// The timeline collapsed to the day: one section per UTC day, newest day first and open, the
  /// rows of each in the branch's order. A row belongs to the day of its time (a folded run of
  /// heartbeats, to its newest's); a writer's clock that is behind puts its row on its own day.
  static func days(_ rows: [Any]) -> [[String: Any]] {
    var rowsOf: [String: [Any]] = [:]
    var counts: [String: Int] = [:]
    for row in rows {
      guard let fields = row as? [String: Any], let time = (fields["committedAt"] ?? fields["lastAt"]) as? String else {
        continue
      }
      let day = String(time.prefix(10))
      rowsOf[day, default: []].append(row)
      if fields["fold"] as? Bool != true { counts[day, default: 0] += 1 }
    }
    return rowsOf.keys.sorted(by: >).enumerated().map { index, day in
      ["day": day, "label": dayLabel(day), "open": index == 0, "rows": rowsOf[day]!, "count": counts[day] ?? 0]
    }
  }

  /// "Saturday 5 December 2026" for 2026-12-05, in the proleptic Gregorian calendar.
  static func dayLabel(_ day: String) -> String {
    let parts = day.split(separator: "-").compactMap { Int($0) }
    guard parts.count == 3, (1...12).contains(parts[1]) else { return day }
    let (year, month, date) = (parts[0], parts[1], parts[2])
    // Sakamoto's method: 0 is Sunday.
    let offsets = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
    let y = month < 3 ? year - 1 : year
    let weekday = (y + y / 4 - y / 100 + y / 400 + offsets[month - 1] + date) % 7
    let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    let months = [
      "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
      "December",
    ]
    return "\(weekdays[weekday]) \(date) \(months[month - 1]) \(year)"
  }

  /// The view's JSON as Mustache values: objects as dictionaries, arrays as arrays, nulls left out
  /// (so that `{{#x}}` skips them).
  static func mustache(_ json: JSON) -> Any? {
    switch json {
    case .null: return nil
    case .bool(let value): return value
    case .int(let value): return value
    case .double(let value): return value
    case .string(let value): return value
    case .array(let values): return values.compactMap(mustache)
    case .object(let fields):
      var out: [String: Any] = [:]
      out.reserveCapacity(fields.count)
      for (key, value) in fields { if let converted = mustache(value) { out[key] = converted } }
      return out
    }
  }
}
