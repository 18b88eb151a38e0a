import KubeJSON
import KubestrapVersion
import Synchronization

/// The documents for the registry's current resources, rebuilt when CustomResourceDefinitions change them.
final class OpenAPICache: Sendable {
    private let cached = Mutex<(generation: Int, documents: OpenAPIDocuments)?>(nil)

    func documents(_ registry: ResourceRegistry) -> OpenAPIDocuments {
        let generation = registry.generation
        if let hit = cached.withLock({ $0 }), hit.generation == generation { return hit.documents }
        let built = OpenAPIDocuments(catalog: registry.catalog)
        cached.withLock { $0 = (generation, built) }
        return built
    }
}

/// OpenAPI v2 (`/openapi/v2`) and v3 (`/openapi/v3`, one document per group-version) generated from the
/// Swift `Schema` values. kubectl reads the v3 PATCH operations to learn that the server validates fields itself
/// (`fieldValidation`), and the schemas' `x-kubernetes-patch-merge-key` to compute apply patches.
struct OpenAPIDocuments: Sendable {
    let catalog: ResourceCatalog
    private let v3Documents: [String: [UInt8]]
    private let v2Document: [UInt8]

    init(catalog: ResourceCatalog) {
        self.catalog = catalog
        var docs: [String: [UInt8]] = [:]
        for (group, versions) in catalog.groups() {
            for version in versions {
                let key = group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
                docs[key] = JSONWriter.write(Self.buildV3(catalog, group: group, version: version))
            }
        }
        v3Documents = docs
        v2Document = JSONWriter.write(Self.buildV2(catalog))
    }

    func v2() -> [UInt8] { v2Document }

    func v3Index() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for (key, doc) in v3Documents {
            paths[key] = ["serverRelativeURL": .string("/openapi/v3/\(key)?hash=\(Self.hash(doc))")]
        }
        return ["paths": .object(paths)]
    }

    func v3(groupVersionPath: String) -> [UInt8]? { v3Documents[groupVersionPath] }

    static func hash(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16).uppercased()
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    // MARK: schemas

    static func json(_ schema: Schema, refPrefix: String) -> JSONValue {
        switch schema {
        case .string(let format, let description):
            var j: JSONValue = ["type": "string"]
            if let format { j["format"] = .string(format) }
            if !description.isEmpty { j["description"] = .string(description) }
            return j
        case .integer(let format): return ["type": "integer", "format": .string(format)]
        case .number: return ["type": "number", "format": "double"]
        case .boolean: return ["type": "boolean"]
        case .intOrString: return ["type": "string", "format": "int-or-string", "x-kubernetes-int-or-string": true]
        case .quantity: return ["type": "string", "format": "quantity", "x-kubernetes-int-or-string": true]
        case .time: return ["type": "string", "format": "date-time"]
        case .object(let properties, let required, let description, _):
            var j: JSONValue = ["type": "object",
                                "properties": .object(properties.mapValues { json($0, refPrefix: refPrefix) })]
            if !required.isEmpty { j["required"] = .array(required.map { .string($0) }) }
            if !description.isEmpty { j["description"] = .string(description) }
            return j
        case .map(let value): return ["type": "object", "additionalProperties": json(value, refPrefix: refPrefix)]
        case .list(let element, let mergeKey, let listType):
            var j: JSONValue = ["type": "array", "items": json(element, refPrefix: refPrefix)]
            if let mergeKey {
                j["x-kubernetes-patch-merge-key"] = .string(mergeKey)
                j["x-kubernetes-patch-strategy"] = "merge"
                j["x-kubernetes-list-type"] = "map"
                j["x-kubernetes-list-map-keys"] = [.string(mergeKey)]
            } else if let listType {
                j["x-kubernetes-list-type"] = .string(listType)
                if listType == "set" { j["x-kubernetes-patch-strategy"] = "merge" }
            } else {
                j["x-kubernetes-list-type"] = "atomic"
            }
            return j
        case .ref(let name): return ["$ref": .string(refPrefix + name)]
        case .preserveUnknown: return ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
        }
    }

    static func definitions(refPrefix: String, kinds: [ResourceDefinition]) -> [String: JSONValue] {
        var defs: [String: JSONValue] = [:]
        for (name, schema) in Schemas.definitions { defs[name] = json(schema, refPrefix: refPrefix) }
        for def in kinds {
            let name = def.openAPIName
            if let custom = def.openAPISchema { defs[name] = customResourceSchema(custom, refPrefix: refPrefix) }
            defs[name]?["x-kubernetes-group-version-kind"] = [gvk(def)]
            // A List that would reference a definition the document lacks is left out: kubectl's OpenAPI v2 models
            // refuse the whole document over one dangling reference.
            guard defs[name] != nil, !def.isVirtual else { continue }
            let listName = name + "List"
            defs[listName] = [
                "type": "object", "required": ["items"],
                "properties": ["apiVersion": ["type": "string"], "kind": ["type": "string"],
                               "metadata": ["$ref": .string(refPrefix + Schemas.listMeta)],
                               "items": ["type": "array", "items": ["$ref": .string(refPrefix + name)]]],
                "x-kubernetes-group-version-kind": [["group": .string(def.group), "version": .string(def.version), "kind": .string(def.kind + "List")]],
            ]
        }
        defs[Schemas.listMeta] = ["type": "object", "properties": ["continue": ["type": "string"], "remainingItemCount": ["type": "integer", "format": "int64"],
                                                                    "resourceVersion": ["type": "string"], "selfLink": ["type": "string"]]]
        defs["io.k8s.apimachinery.pkg.apis.meta.v1.Status"] = ["type": "object", "properties": [
            "apiVersion": ["type": "string"], "kind": ["type": "string"], "code": ["type": "integer", "format": "int32"],
            "message": ["type": "string"], "reason": ["type": "string"], "status": ["type": "string"],
            "details": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
            "metadata": ["$ref": .string(refPrefix + Schemas.listMeta)],
        ], "x-kubernetes-group-version-kind": [["group": "", "version": "v1", "kind": "Status"]]]
        defs["io.k8s.apimachinery.pkg.apis.meta.v1.Patch"] = ["type": "object",
                                                             "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body."]
        return defs
    }

    /// A CRD's schema as upstream publishes it: apiVersion, kind and metadata added to the top level.
    static func customResourceSchema(_ schema: JSONValue, refPrefix: String) -> JSONValue {
        var s = schema
        var properties = s["properties"]?.object ?? [:]
        properties["apiVersion"] = properties["apiVersion"] ?? ["type": "string"]
        properties["kind"] = properties["kind"] ?? ["type": "string"]
        properties["metadata"] = ["$ref": .string(refPrefix + Schemas.meta)]
        s["properties"] = .object(properties)
        s["type"] = "object"
        return s
    }

    static func gvk(_ def: ResourceDefinition) -> JSONValue {
        ["group": .string(def.group), "version": .string(def.version), "kind": .string(def.kind)]
    }

    // MARK: paths

    struct Operation {
        var method: String
        var id: String
        var action: String
        var body: Bool
        var list: Bool
    }

    static func paths(for def: ResourceDefinition, v3: Bool) -> [String: JSONValue] {
        let base = def.group.isEmpty ? "/api/\(def.version)" : "/apis/\(def.group)/\(def.version)"
        let collection = def.namespaced ? "\(base)/namespaces/{namespace}/\(def.resource)" : "\(base)/\(def.resource)"
        let refPrefix = v3 ? "#/components/schemas/" : "#/definitions/"
        let typeName = def.openAPIName
        func param(_ name: String, _ location: String = "query", required: Bool = false) -> JSONValue {
            var p: JSONValue = ["name": .string(name), "in": .string(location), "uniqueItems": true]
            if v3 { p["schema"] = ["type": "string"] } else { p["type"] = "string" }
            if required { p["required"] = true }
            return p
        }
        func op(_ action: String, _ id: String, params: [JSONValue], body: Bool, response: String, patch: Bool = false) -> JSONValue {
            var o: JSONValue = [
                "operationId": .string(id), "x-kubernetes-action": .string(action), "x-kubernetes-group-version-kind": gvk(def),
                "parameters": .array(params),
            ]
            let responseSchema: JSONValue = ["$ref": .string(refPrefix + response)]
            if v3 {
                o["responses"] = ["200": ["description": "OK", "content": ["application/json": ["schema": responseSchema]]]]
                if body {
                    let bodySchema: JSONValue = patch ? ["$ref": .string(refPrefix + "io.k8s.apimachinery.pkg.apis.meta.v1.Patch")] : responseSchema
                    let types = patch ? ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"]
                        : ["*/*"]
                    var content: [String: JSONValue] = [:]
                    for t in types { content[t] = ["schema": bodySchema] }
                    o["requestBody"] = ["content": .object(content), "required": true]
                }
            } else {
                o["responses"] = ["200": ["description": "OK", "schema": responseSchema]]
                o["consumes"] = patch ? ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"] : ["*/*"]
                o["produces"] = ["application/json", "application/yaml"]
                if body {
                    o["parameters"] = .array(params + [["name": "body", "in": "body", "required": true,
                                                         "schema": patch ? ["$ref": .string(refPrefix + "io.k8s.apimachinery.pkg.apis.meta.v1.Patch")] : responseSchema]])
                }
            }
            return o
        }
        let write = [param("dryRun"), param("fieldManager"), param("fieldValidation")]
        let listParams = ["allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
                          "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch"].map { param($0) }
        let kind = def.kind
        var itemPath: [String: JSONValue] = [
            "get": op("get", "read\(kind)", params: [], body: false, response: typeName),
            "put": op("put", "replace\(kind)", params: write, body: true, response: typeName),
            "patch": op("patch", "patch\(kind)", params: write + [param("force")], body: true, response: typeName, patch: true),
            "delete": op("delete", "delete\(kind)", params: [param("dryRun"), param("gracePeriodSeconds"), param("propagationPolicy")],
                         body: false, response: "io.k8s.apimachinery.pkg.apis.meta.v1.Status"),
        ]
        var common: [JSONValue] = [param("name", "path", required: true)]
        if def.namespaced { common.append(param("namespace", "path", required: true)) }
        itemPath["parameters"] = .array(common)
        var collectionPath: [String: JSONValue] = [
            "get": op("list", "list\(kind)", params: listParams, body: false, response: typeName + "List"),
            "post": op("post", "create\(kind)", params: write, body: true, response: typeName),
        ]
        if def.isVirtual {
            return [collection: ["post": op("post", "create\(kind)", params: write, body: true, response: typeName),
                                 "parameters": .array(def.namespaced ? [param("namespace", "path", required: true)] : [])]]
        }
        collectionPath["delete"] = op("deletecollection", "deletecollection\(kind)", params: listParams, body: false,
                                      response: "io.k8s.apimachinery.pkg.apis.meta.v1.Status")
        if def.namespaced { collectionPath["parameters"] = [param("namespace", "path", required: true)] }
        var result: [String: JSONValue] = [collection: .object(collectionPath), "\(collection)/{name}": .object(itemPath)]
        if def.hasStatus {
            result["\(collection)/{name}/status"] = [
                "get": op("get", "read\(kind)Status", params: [], body: false, response: typeName),
                "put": op("put", "replace\(kind)Status", params: write, body: true, response: typeName),
                "patch": op("patch", "patch\(kind)Status", params: write + [param("force")], body: true, response: typeName, patch: true),
                "parameters": .array(common),
            ]
        }
        return result
    }

    static func info() -> JSONValue { ["title": "Kubernetes", "version": .string(KubestrapVersion.gitVersion)] }

    static func buildV3(_ catalog: ResourceCatalog, group: String, version: String) -> JSONValue {
        let kinds = catalog.definitions.filter { $0.group == group && $0.version == version }
        var paths: [String: JSONValue] = [:]
        for def in kinds { for (p, v) in Self.paths(for: def, v3: true) { paths[p] = v } }
        return ["openapi": "3.0.0", "info": info(), "paths": .object(paths),
                "components": ["schemas": .object(definitions(refPrefix: "#/components/schemas/", kinds: kinds)),
                               "securitySchemes": ["BearerToken": ["type": "apiKey", "name": "authorization", "in": "header"]]]]
    }

    static func buildV2(_ catalog: ResourceCatalog) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for def in catalog.definitions { for (p, v) in Self.paths(for: def, v3: false) { paths[p] = v } }
        return ["swagger": "2.0", "info": info(), "paths": .object(paths),
                "definitions": .object(definitions(refPrefix: "#/definitions/", kinds: catalog.definitions)),
                "securityDefinitions": ["BearerToken": ["type": "apiKey", "name": "authorization", "in": "header"]],
                "security": [["BearerToken": []]]]
    }
}
