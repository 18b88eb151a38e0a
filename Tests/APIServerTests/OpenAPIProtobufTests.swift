@testable import APIServer
import KubeJSON
import Testing

/// `/openapi/v2` in gnostic's protobuf form, read back with a decoder written here from OpenAPIv2.proto's field numbers
/// (independently of the encoder's) and compared with the JSON document; and the documents' names and shapes.
@Suite struct OpenAPIProtobufTests {
    static let protobufAccept = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

    @Test func protobufDocumentDecodesToTheJSONDocument() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let json = try await s.request("GET", "/openapi/v2", accept: "application/json")
        #expect(json.status == 200)
        let reply = await s.api.handle(APIRequest(method: "GET", uri: "/openapi/v2", headers: [("accept", Self.protobufAccept)], body: [],
                                                  user: TestServer.admin))
        #expect(reply.status == 200)
        #expect(reply.headers.contains { $0.0 == "content-type" && $0.1 == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf" })
        guard case .bytes(let bytes) = reply.body else {
            Issue.record("streamed")
            return
        }
        let decoded = try GnosticDecoder.document(bytes)
        let expected = GnosticDecoder.normalized(json.body)
        #expect(decoded["swagger"] == "2.0")
        let decodedDefinitions = decoded["definitions"]?.object ?? [:]
        let expectedDefinitions = expected["definitions"]?.object ?? [:]
        #expect(decodedDefinitions.count == expectedDefinitions.count && decodedDefinitions.count > 100)
        for (name, schema) in expectedDefinitions where decodedDefinitions[name] != schema {
            Issue.record("definition \(name) differs: \(decodedDefinitions[name].map { String(decoding: JSONWriter.write($0), as: UTF8.self) } ?? "missing")")
        }
        let decodedPaths = decoded["paths"]?.object ?? [:]
        for (path, item) in expected["paths"]?.object ?? [:] where decodedPaths[path] != item {
            Issue.record("path \(path) differs")
        }
        let same = decoded == expected
        #expect(same)
    }

    @Test func v2NegotiatesAsKubeOpenAPIDoes() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let plain = try await s.request("GET", "/openapi/v2")
        #expect(plain.status == 200 && plain.body["swagger"] == "2.0")
        #expect(plain.headers.contains { $0.0 == "vary" && $0.1 == "Accept" })
        let preferred = try await s.request("GET", "/openapi/v2", accept: "application/json;q=0.5, application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
        #expect(preferred.headers.contains { $0.0 == "content-type" && $0.1.hasSuffix("+protobuf") })
        let refused = try await s.request("GET", "/openapi/v2", accept: "text/html")
        #expect(refused.status == 406)
        let etag = try #require(plain.headers.first { $0.0 == "etag" }?.1)
        let again = try await s.request("GET", "/openapi/v2", accept: "application/json", headers: [("if-none-match", etag)])
        #expect(again.status == 304)
    }

    /// Every Go struct is one definition per name; a name with two shapes would show one kind's fields in another.
    @Test func definitionsAreNamedAsUpstreamWithoutSharedShapes() throws {
        let catalog = ResourceCatalog.standard()
        let v2 = OpenAPIDocuments.definitions(refPrefix: "#/definitions/", kinds: catalog.definitions, everything: true)
        #expect(v2.conflicts.isEmpty, "conflicting definitions: \(v2.conflicts.sorted())")
        let schemas = v2.schemas
        let rolling = try #require(schemas["io.k8s.api.apps.v1.RollingUpdateDeployment"]?["properties"]?.object)
        #expect(Set(rolling.keys) == ["maxSurge", "maxUnavailable"])
        let statefulRolling = try #require(schemas["io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy"]?["properties"]?.object)
        #expect(Set(statefulRolling.keys) == ["partition", "maxUnavailable"])
        #expect(schemas["io.k8s.api.apps.v1.DeploymentStrategy"]?[path: ["properties", "rollingUpdate", "$ref"]]
            == "#/definitions/io.k8s.api.apps.v1.RollingUpdateDeployment")
        #expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"] != nil)
        #expect(schemas["io.k8s.api.apps.v1.LabelSelector"] == nil)
        #expect(schemas["io.k8s.api.core.v1.PodTemplateSpec"] != nil && schemas["io.k8s.api.apps.v1.PodTemplateSpec"] == nil)
        let podCondition = try #require(schemas["io.k8s.api.core.v1.PodCondition"]?["properties"]?.object)
        #expect(podCondition["lastHeartbeatTime"] == nil && podCondition["lastProbeTime"] != nil)
        let nodeCondition = try #require(schemas["io.k8s.api.core.v1.NodeCondition"]?["properties"]?.object)
        #expect(nodeCondition["lastProbeTime"] == nil && nodeCondition["lastHeartbeatTime"] != nil)
        // Every served kind is described, with its group-version-kind.
        for def in catalog.definitions {
            let gvk: JSONValue = ["group": .string(def.group), "version": .string(def.version), "kind": .string(def.kind)]
            #expect(schemas[def.openAPIName]?["x-kubernetes-group-version-kind"]?.array?.contains(gvk) == true, "\(def.openAPIName)")
        }
        for (name, kind) in [("io.k8s.api.autoscaling.v1.Scale", "Scale"), ("io.k8s.api.policy.v1.Eviction", "Eviction"),
                             ("io.k8s.api.authentication.v1.TokenRequest", "TokenRequest")] {
            #expect(schemas[name]?["x-kubernetes-group-version-kind"]?.array?.first?["kind"]?.string == kind)
        }
        // Every reference resolves.
        func refs(_ value: JSONValue) -> [String] {
            switch value {
            case .object(let o): return (o["$ref"]?.string.map { [$0] } ?? []) + o.values.flatMap(refs)
            case .array(let a): return a.flatMap(refs)
            default: return []
            }
        }
        for ref in Set(schemas.values.flatMap(refs)) {
            #expect(schemas[String(ref.dropFirst("#/definitions/".count))] != nil, "\(ref)")
        }
    }

    @Test func v3DescribesReferencesWithAllOf() throws {
        let catalog = ResourceCatalog.standard()
        let apps = catalog.definitions.filter { $0.group == "apps" }
        let v3 = OpenAPIDocuments.definitions(refPrefix: "#/components/schemas/", kinds: apps, everything: false).schemas
        let strategy = try #require(v3["io.k8s.api.apps.v1.DeploymentSpec"]?[path: ["properties", "strategy"]])
        #expect(strategy["allOf"] == [["$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy"]])
        #expect(strategy["description"]?.string?.isEmpty == false)
        #expect(v3["io.k8s.api.batch.v1.Job"] == nil)
    }

    @Test func storageVersionHashIsUpstreams() {
        let catalog = ResourceCatalog.standard()
        // base64 of the first 8 bytes of sha256("<group>/<version>/<kind>") of the stored version.
        #expect(catalog.lookup(group: "", version: "v1", resource: "pods")?.storageVersionHash == "xPOwRZ+Yhw8=")
        #expect(catalog.lookup(group: "", version: "v1", resource: "events")?.storageVersionHash == "r2yiGXH7wu8=")
        #expect(catalog.lookup(group: "events.k8s.io", version: "v1", resource: "events")?.storageVersionHash == "r2yiGXH7wu8=")
        #expect(catalog.lookup(group: "apps", version: "v1", resource: "deployments")?.storageVersionHash == "8aSe+NMegvE=")
        #expect(catalog.lookup(group: "autoscaling", version: "v1", resource: "horizontalpodautoscalers")?.storageVersionHash == "qwQve8ut294=")
    }

    @Test func encoderRefusesNothingItDoesNotKnow() throws {
        // Keys gnostic has no field for are left out; the rest survive a round trip.
        let bytes = OpenAPIV2Protobuf.document(["swagger": "2.0", "nonsense": true,
                                                "definitions": ["A": ["type": "object", "properties": ["n": ["type": "integer", "format": "int32"]],
                                                                      "x-kubernetes-list-type": "atomic"]]])
        let decoded = try GnosticDecoder.document(bytes)
        #expect(decoded["nonsense"] == nil)
        #expect(decoded[path: ["definitions", "A", "x-kubernetes-list-type"]] == "atomic")
        #expect(decoded[path: ["definitions", "A", "properties", "n", "format"]] == "int32")
        #expect(throws: (any Error).self) { try GnosticDecoder.document([0x0A, 0xFF]) }
    }
}

/// Reads gnostic's OpenAPIv2 messages back into the JSON shape of a document, for the fields this server writes; a
/// field number it does not know fails the test.
enum GnosticDecoder {
    struct Unknown: Error { let message: String }

    enum Field {
        case string(String), bool(String), strings(String), int64(String)
        case message(String, ([UInt8]) throws -> JSONValue)
        case messages(String, ([UInt8]) throws -> JSONValue)
        /// `NamedX` entries (`name = 1`, `value = 2`) into an object at the key, or into this object when nil.
        case entries(String?, ([UInt8]) throws -> JSONValue)
        case extensions
        case custom(String, ([UInt8]) throws -> JSONValue)
    }

    static func decode(_ bytes: [UInt8], _ name: String, _ fields: [Int: Field]) throws -> JSONValue {
        var result: [String: JSONValue] = [:]
        var reader = ProtoReader(bytes: bytes)
        while let (number, wire) = try reader.nextKey() {
            guard let field = fields[number] else { throw Unknown(message: "\(name): unexpected field \(number)") }
            if wire == 0 {
                let value = try reader.varint()
                switch field {
                case .bool(let key): result[key] = .bool(value != 0)
                case .int64(let key): result[key] = .int(Int64(bitPattern: value))
                default: throw Unknown(message: "\(name): field \(number) is not a varint")
                }
                continue
            }
            guard wire == 2 else { throw Unknown(message: "\(name): field \(number) has wire type \(wire)") }
            let payload = try reader.lengthDelimited()
            switch field {
            case .string(let key): result[key] = .string(String(decoding: payload, as: UTF8.self))
            case .strings(let key): result[key] = .array((result[key]?.array ?? []) + [.string(String(decoding: payload, as: UTF8.self))])
            case .message(let key, let decode), .custom(let key, let decode): result[key] = try decode(payload)
            case .messages(let key, let decode): result[key] = .array((result[key]?.array ?? []) + [try decode(payload)])
            case .entries(let key, let decode):
                let entry = try Self.decode(payload, "Named", [1: .string("name"), 2: .custom("value", decode)])
                let entryName = entry["name"]?.string ?? ""
                if let key {
                    var map = result[key]?.object ?? [:]
                    map[entryName] = entry["value"] ?? .emptyObject
                    result[key] = .object(map)
                } else {
                    result[entryName] = entry["value"] ?? .emptyObject
                }
            case .extensions:
                let entry = try Self.decode(payload, "NamedAny", [1: .string("name"), 2: .custom("value", any)])
                result[entry["name"]?.string ?? ""] = entry["value"]
            case .bool, .int64: throw Unknown(message: "\(name): field \(number) is not length-delimited")
            }
        }
        return .object(result)
    }

    static func any(_ bytes: [UInt8]) throws -> JSONValue {
        let any = try decode(bytes, "Any", [2: .string("yaml")])
        return try JSONParser.parse(Array((any["yaml"]?.string ?? "").utf8))
    }

    static func document(_ bytes: [UInt8]) throws -> JSONValue {
        try decode(bytes, "Document", [
            1: .string("swagger"), 2: .message("info", info), 8: .message("paths", paths),
            9: .message("definitions") { try decode($0, "Definitions", [1: .entries(nil, schema)]) },
            12: .messages("security") { try decode($0, "SecurityRequirement", [1: .entries(nil) { try decode($0, "StringArray", [1: .strings("value")])["value"] ?? [] }]) },
            13: .message("securityDefinitions") { try decode($0, "SecurityDefinitions", [1: .entries(nil, securityDefinitionsItem)]) },
            16: .extensions,
        ])
    }

    static func info(_ bytes: [UInt8]) throws -> JSONValue {
        try decode(bytes, "Info", [1: .string("title"), 2: .string("version"), 3: .string("description"), 7: .extensions])
    }

    static func paths(_ bytes: [UInt8]) throws -> JSONValue {
        try decode(bytes, "Paths", [1: .extensions, 2: .entries(nil, pathItem)])
    }

    static func pathItem(_ bytes: [UInt8]) throws -> JSONValue {
        try decode(bytes, "PathItem", [2: .message("get", operation), 3: .message("put", operation), 4: .message("post", operation),
                                       5: .message("delete", operation), 8: .message("patch", operation),
                                       9: .messages("parameters", parametersItem), 10: .extensions])
    }

    static func operation(_ bytes: [UInt8]) throws -> JSONValue {
        try decode(bytes, "Operation", [3: .string("description"), 5: .string("operationId"), 6: .strings("produces"),
                                        7: .strings("consumes"), 8: .messages("parameters", parametersItem),
                                        9: .message("responses", responses), 13: .extensions])
    }

    /// ParametersItem → Parameter → BodyParameter or NonBodyParameter → its sub-schema, flattened as JSON has them.
    static func parametersItem(_ bytes: [UInt8]) throws -> JSONValue {
        let item = try decode(bytes, "ParametersItem", [1: .message("parameter", parameter)])
        return item["parameter"] ?? .emptyObject
    }

    static func parameter(_ bytes: [UInt8]) throws -> JSONValue {
        let body: [Int: Field] = [1: .string("description"), 2: .string("name"), 3: .string("in"), 4: .bool("required"),
                                  5: .message("schema", schema), 6: .extensions]
        let query: [Int: Field] = [1: .bool("required"), 2: .string("in"), 3: .string("description"), 4: .string("name"),
                                   6: .string("type"), 7: .string("format"), 20: .bool("uniqueItems"), 23: .extensions]
        let path: [Int: Field] = [1: .bool("required"), 2: .string("in"), 3: .string("description"), 4: .string("name"),
                                  5: .string("type"), 6: .string("format"), 19: .bool("uniqueItems"), 22: .extensions]
        let parameter = try decode(bytes, "Parameter", [
            1: .custom("p") { try decode($0, "BodyParameter", body) },
            2: .custom("p") { payload in
                let nonBody = try decode(payload, "NonBodyParameter", [
                    3: .custom("p") { try decode($0, "QueryParameterSubSchema", query) },
                    4: .custom("p") { try decode($0, "PathParameterSubSchema", path) },
                ])
                return nonBody["p"] ?? .emptyObject
            },
        ])
        return parameter["p"] ?? .emptyObject
    }

    static func responses(_ bytes: [UInt8]) throws -> JSONValue {
        try decode(bytes, "Responses", [
            1: .entries(nil) { payload in
                let value = try decode(payload, "ResponseValue", [1: .custom("r") { response in
                    let r = try decode(response, "Response", [1: .string("description"), 5: .extensions,
                                                              2: .custom("schema") { try decode($0, "SchemaItem", [1: .custom("s", schema)])["s"] ?? .emptyObject }])
                    return r
                }])
                return value["r"] ?? .emptyObject
            },
            2: .extensions,
        ])
    }

    static func securityDefinitionsItem(_ bytes: [UInt8]) throws -> JSONValue {
        let item = try decode(bytes, "SecurityDefinitionsItem", [2: .custom("k") {
            try decode($0, "ApiKeySecurity", [1: .string("type"), 2: .string("name"), 3: .string("in"), 4: .string("description"), 5: .extensions])
        }])
        return item["k"] ?? .emptyObject
    }

    static func schema(_ bytes: [UInt8]) throws -> JSONValue {
        var s = try decode(bytes, "Schema", [
            1: .string("$ref"), 2: .string("format"), 3: .string("title"), 4: .string("description"), 19: .strings("required"),
            21: .custom("additionalProperties") { payload in
                let item = try decode(payload, "AdditionalPropertiesItem", [1: .custom("s", schema), 2: .bool("b")])
                return item["s"] ?? item["b"] ?? .emptyObject
            },
            22: .custom("type") { try decode($0, "TypeItem", [1: .strings("value")])["value"] ?? [] },
            23: .custom("items") { try decode($0, "ItemsItem", [1: .messages("s", schema)])["s"] ?? [] },
            25: .message("properties") { try decode($0, "Properties", [1: .entries(nil, schema)]) },
            31: .extensions,
        ])
        // One type and one item schema are written without their list in JSON.
        if let types = s["type"]?.array, types.count == 1 { s["type"] = types[0] }
        if let items = s["items"]?.array, items.count == 1 { s["items"] = items[0] }
        return s
    }

    /// The JSON document as proto3 keeps it: no empty strings, false or zero outside extension values.
    static func normalized(_ value: JSONValue, key: String = "") -> JSONValue {
        if key.hasPrefix("x-") { return value }
        switch value {
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, v) in o {
                if !k.hasPrefix("x-"), v == "" || v == false || v == .int(0) { continue }
                // An empty repeated field is no field at all.
                if k == "parameters", v == [] { continue }
                out[k] = normalized(v, key: k)
            }
            return .object(out)
        case .array(let a): return .array(a.map { normalized($0) })
        default: return value
        }
    }
}
