import KubeJSON
import Testing

private struct Spec: Codable, Equatable {
    var replicas: Int32?
    var name: String
    var paused: Bool?
    var ratio: Double?
    var tags: [String]?
    var labels: [String: String]?
    var raw: JSONValue?
    var nested: Nested?

    struct Nested: Codable, Equatable {
        var deadline: Int64
        var items: [Item]?
    }

    struct Item: Codable, Equatable {
        var port: Int32
    }
}

@Suite struct JSONValueCodingTests {
    let decoder = JSONValueDecoder()

    @Test func decodesFieldsAndIgnoresUnknownOnes() throws {
        let json: JSONValue = ["replicas": 3, "name": "web", "paused": true, "ratio": .double(0.5), "tags": ["a", "b"],
                               "labels": ["app": "web"], "raw": ["anything": [1, "x", .null]], "unknown": ["deep": 1],
                               "nested": ["deadline": .int(Int64.max), "items": [["port": 80], ["port": 443, "extra": true]]]]
        let spec = try decoder.decode(Spec.self, from: json)
        #expect(spec.replicas == 3 && spec.name == "web" && spec.paused == true && spec.ratio == 0.5)
        #expect(spec.tags == ["a", "b"] && spec.labels == ["app": "web"])
        #expect(spec.raw == ["anything": [1, "x", .null]])
        #expect(spec.nested == Spec.Nested(deadline: Int64.max, items: [.init(port: 80), .init(port: 443)]))
    }

    @Test func missingOptionalFieldsAndNullsAreNil() throws {
        let spec = try decoder.decode(Spec.self, from: ["name": "x", "replicas": .null, "tags": .null])
        #expect(spec == Spec(name: "x"))
    }

    @Test func aMissingRequiredFieldIsNamed() {
        #expect(throws: JSONValueDecodingError(path: "name", message: "required field is missing")) {
            try decoder.decode(Spec.self, from: ["replicas": 1])
        }
        #expect(throws: JSONValueDecodingError(path: "nested.items[1].port", message: "required field is missing")) {
            try decoder.decode(Spec.self, from: ["name": "x", "nested": ["deadline": 1, "items": [["port": 1], [:]]]])
        }
    }

    @Test func wrongTypesAreRefusedWithGoWords() {
        #expect(throws: JSONValueDecodingError(path: "replicas", message: "cannot unmarshal string into Go value of type int32")) {
            try decoder.decode(Spec.self, from: ["name": "x", "replicas": "3"])
        }
        #expect(throws: JSONValueDecodingError(path: "name", message: "cannot unmarshal number into Go value of type string")) {
            try decoder.decode(Spec.self, from: ["name": 1])
        }
        #expect(throws: JSONValueDecodingError(path: "tags[1]", message: "cannot unmarshal bool into Go value of type string")) {
            try decoder.decode(Spec.self, from: ["name": "x", "tags": ["a", true]])
        }
        #expect(throws: JSONValueDecodingError(path: "labels", message: "cannot unmarshal array into Go value of type struct")) {
            try decoder.decode(Spec.self, from: ["name": "x", "labels": ["a"]])
        }
        #expect(throws: JSONValueDecodingError(path: "", message: "cannot unmarshal string into Go value of type struct")) {
            try decoder.decode(Spec.self, from: "spec")
        }
    }

    @Test func integersOutsideTheFieldAreRefusedOrClamped() throws {
        #expect(throws: JSONValueDecodingError(path: "replicas", message: "cannot unmarshal number 2147483648 into Go value of type int32")) {
            try decoder.decode(Spec.self, from: ["name": "x", "replicas": 2_147_483_648])
        }
        #expect(throws: JSONValueDecodingError(path: "replicas", message: "cannot unmarshal number 1.5 into Go value of type int32")) {
            try decoder.decode(Spec.self, from: ["name": "x", "replicas": .double(1.5)])
        }
        #expect(throws: JSONValueDecodingError.self) {
            try decoder.decode(Spec.self, from: ["name": "x", "nested": ["deadline": .double(1e300)]])
        }
        // Integral doubles are integers (a JSON number written as 3.0).
        #expect(try decoder.decode(Spec.self, from: ["name": "x", "replicas": .double(3)]).replicas == 3)

        let clamping = JSONValueDecoder(clampsIntegers: true)
        #expect(try clamping.decode(Spec.self, from: ["name": "x", "replicas": .int(Int64.max)]).replicas == Int32.max)
        #expect(try clamping.decode(Spec.self, from: ["name": "x", "replicas": .int(Int64.min)]).replicas == Int32.min)
        #expect(try clamping.decode(Spec.self, from: ["name": "x", "nested": ["deadline": .double(-1e300)]]).nested?.deadline == Int64.min)
        #expect(throws: JSONValueDecodingError.self) {
            try clamping.decode(Spec.self, from: ["name": "x", "replicas": .double(.infinity)])
        }
        #expect(throws: JSONValueDecodingError.self) {
            try clamping.decode(Spec.self, from: ["name": "x", "replicas": .double(2.5)])
        }
    }

    @Test func encodesWithoutNilFieldsAndRoundTrips() throws {
        let spec = Spec(replicas: 2, name: "web", tags: [], labels: ["a": "b"], raw: ["kept": [.null, .double(1.5)]],
                        nested: .init(deadline: -1, items: [.init(port: 8080)]))
        let json = try JSONValueEncoder().encode(spec)
        #expect(json == ["replicas": 2, "name": "web", "tags": [], "labels": ["a": "b"], "raw": ["kept": [.null, .double(1.5)]],
                         "nested": ["deadline": -1, "items": [["port": 8080]]]])
        #expect(try decoder.decode(Spec.self, from: json) == spec)
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(["x": Double.nan]) }
        #expect(try JSONValueEncoder().encode(UInt64(7)) == 7)
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(UInt64.max) }
    }

    @Test func mergePatchTouchesOnlyWhatChanged() {
        let stored: JSONValue = ["spec": ["replicas": 1, "unknown": "kept"], "status": ["ready": 1, "old": 2, "list": [1, 2]]]
        let before: JSONValue = ["spec": ["replicas": 1], "status": ["ready": 1, "old": 2, "list": [1, 2]]]
        let after: JSONValue = ["spec": ["replicas": 1], "status": ["ready": 3, "list": [1], "new": ["a": 1]]]
        let patch = JSONValue.mergePatch(from: before, to: after)
        #expect(patch == ["status": ["ready": 3, "old": .null, "list": [1], "new": ["a": 1]]])
        #expect(patch.map(stored.applyingMergePatch) ==
                ["spec": ["replicas": 1, "unknown": "kept"], "status": ["ready": 3, "list": [1], "new": ["a": 1]]])
        #expect(JSONValue.mergePatch(from: before, to: before) == nil)
        #expect(JSONValue.string("x").applyingMergePatch(["a": 1]) == ["a": 1])
    }
}
