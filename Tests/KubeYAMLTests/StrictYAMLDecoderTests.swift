import Testing
@testable import KubeYAML

struct Sample: Codable, Equatable {
    struct Endpoint: Codable, Equatable {
        var advertiseAddress: String?
        var bindPort: Int?
    }
    struct Item: Codable, Equatable {
        var name: String
        var value: String?
    }
    var kind: String
    var endpoint: Endpoint?
    var items: [Item]?
    var labels: [String: String]?
    var enabled: Bool?
}

@Suite struct StrictYAMLDecoderTests {
    let decoder = StrictYAMLDecoder(fileName: "cfg.yaml")

    @Test func decodesKnownFields() throws {
        let value = try decoder.decode(Sample.self, from: """
            kind: Test
            endpoint:
              advertiseAddress: 10.0.0.5
              bindPort: 6443
            items:
            - name: a
              value: "null"
            labels:
              x: "y"
            enabled: true
            """)
        #expect(value.endpoint?.bindPort == 6443)
        #expect(value.items?.first?.value == "null")   // quoted "null" stays a string
        #expect(value.labels == ["x": "y"])
        #expect(value.enabled == true)
    }

    @Test func unknownTopLevelAndNestedFieldsNameTheFieldAndLine() throws {
        let error = #expect(throws: YAMLDecodeError.self) {
            try decoder.decode(Sample.self, from: "kind: Test\nendpoint:\n  bindPort: 1\n  bindPortt: 2\n")
        }
        #expect(error?.kind == .unknownField)
        #expect(error?.field == "endpoint.bindPortt")
        #expect(error?.line == 4)
        #expect(error?.description == "cfg.yaml:4:3: unknown field \"endpoint.bindPortt\"")

        let inList = #expect(throws: YAMLDecodeError.self) {
            try decoder.decode(Sample.self, from: "kind: Test\nitems:\n- name: a\n- name: b\n  vaule: c\n")
        }
        #expect(inList?.field == "items[1].vaule")
        #expect(inList?.line == 5)
    }

    @Test func typeMismatchNamesTheField() throws {
        let error = #expect(throws: YAMLDecodeError.self) {
            try decoder.decode(Sample.self, from: "kind: Test\nendpoint:\n  bindPort: \"6443\"\n")
        }
        #expect(error?.kind == .typeMismatch)
        #expect(error?.message.contains("endpoint.bindPort") == true)
        #expect(error?.line == 3)
    }

    @Test func missingRequiredFieldIsReported() throws {
        let error = #expect(throws: YAMLDecodeError.self) {
            try decoder.decode(Sample.self, from: "endpoint: {}\n")
        }
        #expect(error?.kind == .missingField)
        #expect(error?.field == "kind")
    }

    @Test func malformedYAMLIsASyntaxErrorWithPosition() throws {
        let error = #expect(throws: YAMLDecodeError.self) {
            try decoder.decode(Sample.self, from: "kind: [unclosed\n")
        }
        #expect(error?.kind == .syntax)
        #expect(error?.line != nil)
    }

    @Test func nullAndEmptyMappingsDecodeAsEmpty() throws {
        let value = try decoder.decode(Sample.self, from: "kind: Test\nendpoint:\nitems: null\n")
        #expect(value.endpoint == nil)
        #expect(value.items == nil)
    }

    @Test func unknownFieldsCanBeAllowed() throws {
        let lenient = StrictYAMLDecoder(fileName: "x", allowUnknownFields: true)
        let value = try lenient.decode(Sample.self, from: "kind: Test\nextra: 1\n")
        #expect(value.kind == "Test")
    }

    @Test func splitsMultiDocumentStreams() throws {
        let docs = try YAMLDocuments.split("apiVersion: a/v1\nkind: A\n---\n---\napiVersion: b/v1\nkind: B\n---\n")
        #expect(docs.map(\.kind) == ["A", "B"])
        #expect(docs.map(\.apiVersion) == ["a/v1", "b/v1"])
    }

    @Test func encoderSortsKeys() throws {
        let text = try KubeYAMLEncoder.encode(Sample(kind: "K", endpoint: nil, items: nil, labels: ["b": "1", "a": "2"], enabled: nil))
        #expect(text == "kind: K\nlabels:\n  a: '2'\n  b: '1'\n")
    }
}
