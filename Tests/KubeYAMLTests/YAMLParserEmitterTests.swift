import KubeJSON
import Testing
@testable import KubeYAML

@Suite struct YAMLParserTests {
    @Test func resolvesPlainScalarsAndKeepsQuotedOnesAsStrings() throws {
        let node = try #require(try YAMLParser.document("""
            a: 1
            b: "1"
            c: true
            d: 'true'
            e: ~
            f: 1.5
            g: !!str 10
            h: |
              line one
              line two
            i: >
              folded
              text
            """))
        #expect(node.jsonValue() == .object([
            "a": .int(1), "b": .string("1"), "c": .bool(true), "d": .string("true"), "e": .null,
            "f": .double(1.5), "g": .string("10"), "h": .string("line one\nline two\n"), "i": .string("folded text"),   // the text ends without a line break to keep
        ]))
    }

    @Test func expandsAnchorsAliasesAndMergeKeys() throws {
        let node = try #require(try YAMLParser.document("""
            base: &base
              image: busybox
              pull: Always
            one:
              <<: *base
              pull: Never
            list: [*base, x]
            """))
        let json = node.jsonValue()
        #expect(json["one"] == .object(["image": .string("busybox"), "pull": .string("Never")]))
        #expect(json["list"]?.array?.first == .object(["image": .string("busybox"), "pull": .string("Always")]))
    }

    @Test func refusesADocumentThatExpandsWithoutBound() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...8 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let error = #expect(throws: YAMLSyntaxError.self) { try YAMLParser.document(text) }
        #expect(error?.message.contains("more than") == true)
    }

    @Test func syntaxErrorsCarryLineAndColumn() {
        let error = #expect(throws: YAMLSyntaxError.self) { try YAMLParser.document("a: 1\nb: [1, 2\nc: 3\n") }
        #expect(error?.message.hasPrefix("invalid YAML: ") == true)
        #expect((error?.mark?.line ?? 0) >= 2)

        let badIndent = #expect(throws: YAMLSyntaxError.self) { try YAMLParser.document("a:\n  b: 1\n c: 2\n") }
        #expect(badIndent?.mark?.line == 3)
    }

    @Test func unknownAliasAndComplexKeysAreErrors() {
        let alias = #expect(throws: YAMLSyntaxError.self) { try YAMLParser.document("a: *nope\n") }
        #expect(alias?.message.contains("nope") == true)
        let key = #expect(throws: YAMLSyntaxError.self) { try YAMLParser.document("? [a, b]\n: 1\n") }
        #expect(key?.message.contains("mapping key must be a string") == true)
        #expect(key?.mark?.line == 1)
    }

    @Test func splitsDocumentsAndSkipsEmptyOnes() throws {
        #expect(try YAMLParser.documents("").isEmpty)
        #expect(try YAMLParser.documents("# only a comment\n").isEmpty)
        let docs = try YAMLParser.documents("a: 1\n---\nb: 2\n")
        #expect(docs.count == 2)
        #expect(throws: YAMLSyntaxError.self) { try YAMLParser.document("a: 1\n---\nb: 2\n") }
    }

    @Test func marksAreOneBased() throws {
        let node = try #require(try YAMLParser.document("kind: Pod\nspec:\n  containers: []\n"))
        let spec = try #require(node.mapping?.entries.last)
        #expect(spec.keyMark == YAMLMark(line: 2, column: 1))
        #expect(spec.value.mapping?.entries.first?.keyMark == YAMLMark(line: 3, column: 3))
    }
}

@Suite struct YAMLEmitterTests {
    @Test func quotesStringsThatWouldReadAsOtherTypes() throws {
        let text = try YAMLEmitter.emit(.object([
            "int": .string("2"), "bool": .string("true"), "yes": .string("yes"), "version": .string("1.32"),
            "date": .string("2026-11-25"), "empty": .string(""), "null": .string("null"), "plain": .string("kube-apiserver"),
            "colon": .string("a: b"), "dash": .string("- x"),
        ]))
        #expect(text == """
            bool: 'true'
            colon: 'a: b'
            dash: '- x'
            date: '2026-11-25'
            empty: ''
            int: '2'
            'null': 'null'
            plain: kube-apiserver
            version: '1.32'
            'yes': 'yes'

            """)
    }

    @Test func leavesAddressesAndNamesPlain() throws {
        for plain in ["192.0.2.2", "10.96.0.0/12", "v1.32.0", "kube-system", "https://10.0.0.1:6443", "8760h0m0s", "ECDSA-P256"] {
            #expect(try YAMLEmitter.emit(.string(plain)) == plain + "\n", "\(plain)")
        }
        for quoted in ["1_000", "0x1f", "0b101", "1e3", "12:30", "-5", "+.5", "2026-11-25T10:00:00Z", "Off", "~"] {
            #expect(try YAMLEmitter.emit(.string(quoted)) == "'\(quoted)'\n", "\(quoted)")
        }
    }

    @Test func writesKubectlStyleBlocks() throws {
        let text = try YAMLEmitter.emit(.object([
            "apiVersion": .string("v1"),
            "clusters": .array([.object(["name": .string("kubernetes"), "cluster": .object(["server": .string("https://10.0.0.1:6443")])])]),
            "preferences": .object([:]),
            "users": .array([]),
            "count": .int(3), "enabled": .bool(false), "nothing": .null,
        ]))
        #expect(text == """
            apiVersion: v1
            clusters:
            - cluster:
                server: https://10.0.0.1:6443
              name: kubernetes
            count: 3
            enabled: false
            nothing: null
            preferences: {}
            users: []

            """)
    }

    @Test func roundTripsThroughTheParser() throws {
        let value = JSONValue.object([
            "script": .string("#!/bin/sh\necho 'hi' # not a comment\n"),
            "long": .string(String(repeating: "word ", count: 40)),
            "unicode": .string("grüße ✓"),
            "nested": .array([.array([.int(1), .double(2.5)]), .object(["k": .string(" padded ")])]),
            "hex": .string("0x1f"), "tab": .string("a\tb"),
        ])
        let text = try YAMLEmitter.emit(value)
        #expect(try YAMLParser.document(text)?.jsonValue() == value)
        #expect(!text.contains("\n  word"))   // no folding of long lines
    }
}

@Suite struct YAMLDepthTests {
    /// A request body nested far deeper than any object used to crash the apiserver (stack exhaustion while walking
    /// the tree); it is now a syntax error.
    @Test func deeplyNestedDocumentsAreRefused() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: YAMLSyntaxError.self) { try YAMLParser.document(deep) }
        let fine = String(repeating: "- ", count: 1) + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try YAMLParser.document(fine) != nil)
        // Ordinary documents start with a mapping: unaffected.
        #expect(try YAMLParser.document("a: {b: [1, 2]}\nc: d\n") != nil)
    }
}
