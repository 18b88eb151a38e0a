import KubeJSON
import Testing

@Suite struct JSONParserTests {
    @Test func roundTripsAnObjectWithSortedKeys() throws {
        let text = #"{"kind":"ConfigMap","apiVersion":"v1","data":{"b":"2","a":"1"},"n":[1,-2,3.5,true,null]}"#
        let value = try JSONParser.parse(text)
        #expect(value["kind"]?.string == "ConfigMap")
        #expect(value["n"]?.array?[1] == .int(-2))
        #expect(value["n"]?.array?[2] == .double(3.5))
        #expect(JSONWriter.string(value) == #"{"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap","n":[1,-2,3.5,true,null]}"#)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONParser.parse(#""a\"b\\c\n\u00e9\ud83d\ude00""#)
        #expect(value.string == "a\"b\\c\né😀")
        // Go escapes <, > and & so JSON can be embedded in HTML; so do we.
        #expect(JSONWriter.string(.string("<a&b>\u{1}")) == #""\u003ca\u0026b\u003e\u0001""#)
    }

    @Test(arguments: [#"{"a":1,}"#, #"{"a" 1}"#, "[1,2", #""unterminated"#, "tru", "01", "1.", "-", #"{"a":1} x"#, "", "\u{1}"])
    func refusesMalformedInput(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func refusesHostileNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }

    @Test func pathSubscriptCreatesIntermediateObjects() {
        var value: JSONValue = ["metadata": ["name": "x"]]
        value[path: ["metadata", "labels", "app"]] = "web"
        value[path: ["spec", "replicas"]] = 3
        #expect(value[path: ["metadata", "labels"]]?.stringMap == ["app": "web"])
        #expect(value[path: ["spec", "replicas"]]?.int == 3)
        value[path: ["metadata", "name"]] = nil
        #expect(value[path: ["metadata", "name"]] == nil)
    }

    @Test func base64MatchesGo() {
        #expect(Base64.encode(Array("hunter2".utf8)) == "aHVudGVyMg==")
        #expect(Base64.decode("aHVudGVyMg==").map { String(decoding: $0, as: UTF8.self) } == "hunter2")
        #expect(Base64.decode("not base64!") == nil)
        #expect(Base64.decode("abc") == nil)
    }
}

@Suite struct JSONWriterFastPathTests {
    @Test func numbersKeysAndEscapesAreWrittenAsGoWritesThem() {
        #expect(JSONWriter.string([.int(0), .int(7), .int(-42), .int(Int64.max), .int(Int64.min), .bool(true), .bool(false), .null])
            == "[0,7,-42,9223372036854775807,-9223372036854775808,true,false,null]")
        // Keys by their bytes (uppercase before lowercase, as Go's sort of map keys).
        #expect(JSONWriter.string(["b": 1, "B": 2, "a": 3, "é": 4, "z": 5]) == #"{"B":2,"a":3,"b":1,"z":5,"é":4}"#)
        #expect(JSONWriter.string(["only": ["x": .emptyObject]]) == #"{"only":{"x":{}}}"#)
        #expect(JSONWriter.string("plain") == #""plain""#)
        #expect(JSONWriter.string("a\"b\\c\n<&>\u{01}") == #""a\"b\\c\n\u003c\u0026\u003e\u0001""#)
    }
}

@Suite struct NilLiteralTests {
    /// JSONValue is ExpressibleByNilLiteral: `cond ? nil : value` assigned to a JSONValue? must remove the key, not
    /// store null.
    @Test func ternaryNilRemovesKeys() {
        var object: JSONValue = ["a": 1, "b": 2]
        let empty = true
        object[path: ["a"]] = empty ? nil : .array([])
        var dictionary: [String: JSONValue] = ["x": 1]
        dictionary["x"] = empty ? nil : .int(2)
        #expect(object == ["b": 2])
        #expect(dictionary.isEmpty)
    }
}
