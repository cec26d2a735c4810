import Testing

@testable import GHPKit

@Suite struct JSONTests {
  @Test func canonicalFormSortsKeysIndentsAndEndsWithNewline() throws {
    let value = try JSON.parse(#"{"b": [1, 2.5, "x"], "a": {"z": null, "y": true}, "c": []}"#)
    let text = String(decoding: value.canonical(), as: UTF8.self)
    #expect(
      text == """
        {
          "a": {
            "y": true,
            "z": null
          },
          "b": [
            1,
            2.5,
            "x"
          ],
          "c": []
        }

        """)
  }

  @Test func sameDocumentGivesSameBytes() throws {
    let one = try JSON.parse(#"{"x": 1, "y": "two", "z": [true]}"#)
    let two = try JSON.parse(#"{"z":[true],"y":"two","x":1}"#)
    #expect(one.canonical() == two.canonical())
  }

  @Test func stringsRoundTripThroughEscapes() throws {
    let original = "quote \" backslash \\ newline \n tab \t control \u{01} snow ☃ emoji 🎉"
    let written = JSON.object(["s": .string(original)]).compact()
    #expect(try JSON.parse(written)["s"]?.stringValue == original)
    #expect(try JSON.parse(#""\ud83c\udf89 \u00e9""#).stringValue == "🎉 é")
  }

  @Test(arguments: ["", "{", #"{"a" 1}"#, "[1,]", "tru", #""unterminated"#, "{} x", "01x", #"{"a":1,}"#])
  func invalidTextIsRefused(_ text: String) throws {
    #expect(throws: JSONParseError.self) { try JSON.parse(text) }
  }

  @Test func numbersKeepTheirKind() throws {
    let value = try JSON.parse("[0, -12, 3.25, 1e3]")
    #expect(value.arrayValue == [.int(0), .int(-12), .double(3.25), .double(1000)])
    #expect(JSON.double(1000).compact() == "1000")
  }
}
