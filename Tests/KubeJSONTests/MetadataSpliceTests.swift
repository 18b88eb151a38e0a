import KubeJSON
import Testing

/// Splicing resourceVersion into stored bytes must give exactly what decoding, setting it and re-encoding gives,
/// and must refuse (leaving the output alone) whatever is not in JSONWriter's form.
@Suite struct MetadataSpliceTests {
    func expected(_ object: JSONValue, rv: String) -> [UInt8] {
        var copy = object
        copy[path: ["metadata", "resourceVersion"]] = .string(rv)
        return JSONWriter.write(copy)
    }

    func spliced(_ bytes: [UInt8], rv: String) -> [UInt8]? {
        var out: [UInt8] = Array("prefix,".utf8)
        guard MetadataSplice.append(bytes, inserting: "resourceVersion", value: rv, to: &out) else {
            #expect(out == Array("prefix,".utf8), "a refusal must leave the output untouched")
            return nil
        }
        return Array(out.dropFirst(7))
    }

    @Test func matchesDecodeAndEncodeForTypicalObjects() throws {
        let objects: [JSONValue] = [
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a", "namespace": "default", "uid": "u"], "data": ["k": "v"]],
            ["metadata": [:]],
            ["metadata": ["annotations": ["x": "{\"metadata\":{}}"], "creationTimestamp": .null]],
            ["metadata": ["uid": "only-after"]],
            ["metadata": ["name": "only-before"], "spec": ["template": ["metadata": ["name": "nested"]]]],
            ["a": ["metadata": "not this one", "list": [1, .double(2.5), true, .null, ["x": "]"]]], "metadata": ["generation": 3, "zz": [1]], "z": "\\"],
            ["kind": "Pod", "metadata": ["labels": ["app": "web"], "managedFields": [["manager": "kubectl", "fieldsV1": ["f:metadata": [:]]]],
                                         "name": "p", "resourceVersionX": "q", "selfLink": ""], "status": ["phase": "Running"]],
        ]
        for object in objects {
            let stored = JSONWriter.write(object)
            let result = try #require(spliced(stored, rv: "12345"), "refused: \(String(decoding: stored, as: UTF8.self))")
            #expect(result == expected(object, rv: "12345"), "\(String(decoding: result, as: UTF8.self))")
        }
    }

    @Test func randomMetadataKeysLandInSortedPlace() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/")
        for _ in 0..<300 {
            var meta: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                let key = String((0..<Int.random(in: 1...18, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
                if key == "resourceVersion" { continue }
                meta[key] = Bool.random(using: &generator) ? .string(key) : .object(["n": .int(Int64.random(in: -5...5, using: &generator))])
            }
            let object: JSONValue = ["apiVersion": "v1", "metadata": .object(meta), "spec": ["x": .array([.string("}"), .null])]]
            let result = try #require(spliced(JSONWriter.write(object), rv: "7"))
            #expect(result == expected(object, rv: "7"))
        }
    }

    @Test func otherFormsAreRefused() {
        let refused = [
            #"{"metadata": {"name":"a"}}"#,                      // whitespace
            #"{"metadata":{"uid":"u","name":"a"}}"#,              // unsorted
            #"{"metadata":{"name":"a","resourceVersion":"1"}}"#,  // already there
            #"{"metadata":{"n\u0061me":"a"}}"#,                   // escaped key
            #"{"kind":"X"}"#,                                     // no metadata
            #"{"metadata":"text"}"#,
            #"["metadata"]"#,
            #"{"metadata":{"name":"a""#,                           // truncated
            "",
        ]
        for text in refused {
            #expect(spliced(Array(text.utf8), rv: "1") == nil, "\(text)")
        }
    }
}
