import Testing

@testable import GHPKit

/// ghp's Mustache against the specification's own examples (github.com/mustache/spec: the
/// interpolation, sections, inverted, comments, partials and delimiters files), each template,
/// data and expected text as the specification gives them, and the refusals of what ghp does not
/// support.
@Suite struct MustacheTests {
  func render(_ template: String, _ data: [String: Any], html: Bool = true, partials: [String: String] = [:]) throws
    -> String
  {
    var library: [String: Mustache] = [:]
    for (name, text) in partials { library[name] = try Mustache(text) }
    return try Mustache(template).render(data, escaping: html, partials: library)
  }

  @Test func interpolation() throws {
    #expect(try render("Hello, {{subject}}!", ["subject": "world"]) == "Hello, world!")
    #expect(
      try render("These characters should be HTML escaped: {{forbidden}}", ["forbidden": "& \" < >"])
        == "These characters should be HTML escaped: &amp; &quot; &lt; &gt;")
    #expect(
      try render("These characters should not be HTML escaped: {{{forbidden}}}", ["forbidden": "& \" < >"])
        == "These characters should not be HTML escaped: & \" < >")
    #expect(try render("{{&forbidden}}", ["forbidden": "& \" < >"]) == "& \" < >")
    #expect(try render("\"{{mph}} miles an hour!\"", ["mph": 85]) == "\"85 miles an hour!\"")
    #expect(try render("I ({{cannot}}) be seen!", [:]) == "I () be seen!")
    #expect(try render("\"{{person.name}}\" == \"Joe\"", ["person": ["name": "Joe"]]) == "\"Joe\" == \"Joe\"")
    #expect(try render("\"{{a.b.c}}\" == \"\"", ["a": [String: Any]()]) == "\"\" == \"\"")
    #expect(try render("| {{ string }} |", ["string": "---"]) == "| --- |")
    // Markdown is rendered as text: nothing escaped.
    #expect(try render("{{x}}", ["x": "a < b & 'c'"], html: false) == "a < b & 'c'")
    #expect(try render("{{x}}", ["x": "'"]) == "&#39;")
  }

  @Test func sections() throws {
    #expect(
      try render("\"{{#boolean}}This should be rendered.{{/boolean}}\"", ["boolean": true])
        == "\"This should be rendered.\"")
    #expect(try render("\"{{#boolean}}This should not be rendered.{{/boolean}}\"", ["boolean": false]) == "\"\"")
    #expect(try render("\"{{#context}}Hi {{name}}.{{/context}}\"", ["context": ["name": "Joe"]]) == "\"Hi Joe.\"")
    #expect(
      try render("\"{{#list}}{{item}}{{/list}}\"", ["list": [["item": 1], ["item": 2], ["item": 3]]]) == "\"123\"")
    #expect(try render("\"{{#list}}Yay lists!{{/list}}\"", ["list": [Any]()]) == "\"\"")
    #expect(try render("\"{{#list}}({{.}}){{/list}}\"", ["list": ["a", "b", "c", "d", "e"]]) == "\"(a)(b)(c)(d)(e)\"")
    #expect(try render("\"{{#a.b.c}}Here{{/a.b.c}}\" == \"Here\"", ["a": ["b": ["c": true]]]) == "\"Here\" == \"Here\"")
    #expect(
      try render("{{#a}}{{one}}{{#b}}{{one}}{{two}}{{/b}}{{/a}}", ["a": ["one": 1], "b": ["two": 2]]) == "112")
    // Whitespace: a section tag alone on its line takes the line with it; inline, it does not.
    #expect(try render(" | {{#boolean}}\t|\t{{/boolean}} | \n", ["boolean": true]) == " | \t|\t | \n")
    #expect(
      try render(" | {{#boolean}} {{! Important Whitespace }}\n {{/boolean}} | \n", ["boolean": true]) == " |  \n  | \n"
    )
    #expect(
      try render("| This Is\n{{#boolean}}\n|\n{{/boolean}}\n| A Line\n", ["boolean": true])
        == "| This Is\n|\n| A Line\n")
    #expect(
      try render("| This Is\n  {{#boolean}}\n|\n  {{/boolean}}\n| A Line\n", ["boolean": true])
        == "| This Is\n|\n| A Line\n")
    #expect(try render("|\r\n{{#boolean}}\r\n{{/boolean}}\r\n|", ["boolean": true]) == "|\r\n|")
    #expect(try render("  {{#boolean}}\n#{{/boolean}}\n/", ["boolean": true]) == "#\n/")
    #expect(try render("#{{#boolean}}\n/\n  {{/boolean}}", ["boolean": true]) == "#\n/\n")
  }

  @Test func invertedSections() throws {
    #expect(
      try render("\"{{^boolean}}This should be rendered.{{/boolean}}\"", ["boolean": false])
        == "\"This should be rendered.\"")
    #expect(try render("\"{{^boolean}}This should not be rendered.{{/boolean}}\"", ["boolean": true]) == "\"\"")
    #expect(try render("\"{{^list}}Yay lists!{{/list}}\"", ["list": [Any]()]) == "\"Yay lists!\"")
    #expect(try render("[{{^missing}}Found key 'missing'!{{/missing}}]", [:]) == "[Found key 'missing'!]")
    #expect(
      try render("| This Is\n{{^boolean}}\n|\n{{/boolean}}\n| A Line\n", ["boolean": false])
        == "| This Is\n|\n| A Line\n")
  }

  @Test func commentsDelimitersAndPartials() throws {
    #expect(try render("12345{{! Comment Block! }}67890", [:]) == "1234567890")
    #expect(try render("Begin.\n{{! Comment Block! }}\nEnd.\n", [:]) == "Begin.\nEnd.\n")
    #expect(try render("Begin.\n  {{! Indented Comment Block! }}\nEnd.\n", [:]) == "Begin.\nEnd.\n")
    #expect(try render("{{=<% %>=}}(<%text%>)", ["text": "Hey!"]) == "(Hey!)")
    #expect(try render("Begin.\n{{=@ @=}}\nEnd.\n", [:]) == "Begin.\nEnd.\n")
    #expect(try render("\"{{>text}}\"", [:], partials: ["text": "from partial"]) == "\"from partial\"")
    #expect(try render("\"{{>text}}\"", [:]) == "\"\"")
    #expect(
      try render("\\\n {{>partial}}\n/\n", ["content": "<\n->"], partials: ["partial": "|\n{{{content}}}\n|\n"])
        == "\\\n |\n <\n->\n |\n/\n")
  }

  /// What ghp does not support is refused when the template is read, with the line.
  @Test func malformedTemplatesAreRefusedWithTheirLine() throws {
    #expect(throws: MustacheError.self) { try Mustache("a\n{{#open}}never closed") }
    #expect(throws: MustacheError.self) { try Mustache("{{#a}}{{/b}}") }
    #expect(throws: MustacheError.self) { try Mustache("{{/a}}") }
    #expect(throws: MustacheError.self) { try Mustache("{{uppercased(name)}}") }
    #expect(throws: MustacheError.self) { try Mustache("{{<parent}}{{/parent}}") }
    #expect(throws: MustacheError.self) { try Mustache("{{name") }
    do {
      _ = try Mustache("one\ntwo {{#a}}\nthree")
      Issue.record("an unclosed section was read")
    } catch {
      #expect(error.line == 3, "\(error)")
    }
  }
}
