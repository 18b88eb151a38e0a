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
    private let v2Protobuf: [UInt8]

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
        let v2 = Self.buildV2(catalog)
        v2Document = JSONWriter.write(v2)
        v2Protobuf = OpenAPIV2Protobuf.document(v2)
    }

    func v2() -> [UInt8] { v2Document }
    func v2ProtobufDocument() -> [UInt8] { v2Protobuf }

    static let v2ProtobufType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

    /// `/openapi/v2` as kube-openapi's handler serves it: the first Accept clause (by preference) that names JSON or
    /// either spelling of the gnostic protobuf type picks the form, `*/*` is JSON, anything else is 406; an ETag per
    /// form and `Vary: Accept`.
    func v2Response(accept: String?, ifNoneMatch: String?) -> APIResponse {
        for (type, subtype) in Self.acceptClauses(accept ?? "") {
            guard type == "application" || type == "*" else { continue }
            let body: [UInt8]
            let contentType: String
            switch subtype {
            case "json", "*":
                (body, contentType) = (v2Document, "application/json")
            case "com.github.proto-openapi.spec.v2@v1.0+protobuf", "com.github.proto-openapi.spec.v2.v1.0+protobuf":
                (body, contentType) = (v2Protobuf, Self.v2ProtobufType)
            default:
                continue
            }
            let etag = "\"\(Self.hash(body))\""
            var headers = [("vary", "Accept"), ("etag", etag)]
            if ifNoneMatch == etag { return APIResponse(status: 304, headers: headers, body: .bytes([])) }
            headers.insert(("content-type", contentType), at: 0)
            return APIResponse(status: 200, headers: headers, body: .bytes(body))
        }
        return APIResponse(status: 406, headers: [("vary", "Accept")], body: .bytes([]))
    }

    /// Accept clauses as goautoneg orders them: by q (highest first), then the more specific first; q=0 is refused.
    static func acceptClauses(_ accept: String) -> [(type: String, subtype: String)] {
        let trimmed = accept.trimmingCharacters()
        var clauses: [(type: String, subtype: String, q: Double, specificity: Int, index: Int)] = []
        for (index, clause) in (trimmed.isEmpty ? "*/*" : trimmed).split(separator: ",").enumerated() {
            let parts = clause.split(separator: ";").map { $0.trimmingCharacters() }
            guard let media = parts.first, !media.isEmpty else { continue }
            let typeParts = media.split(separator: "/", maxSplits: 1).map(String.init)
            let type = typeParts[0]
            let subtype = typeParts.count > 1 ? typeParts[1] : "*"
            var q = 1.0
            for p in parts.dropFirst() where p.hasPrefix("q=") { q = Double(p.dropFirst(2)) ?? 1.0 }
            guard q > 0 else { continue }
            let specificity = (type == "*" ? 0 : 1) + (subtype == "*" ? 0 : 1)
            clauses.append((type, subtype, q, specificity, index))
        }
        clauses.sort { a, b in
            if a.q != b.q { return a.q > b.q }
            if a.specificity != b.specificity { return a.specificity > b.specificity }
            return a.index < b.index
        }
        return clauses.map { ($0.type, $0.subtype) }
    }

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

    /// The definitions of a document: its kinds (with their List kinds and group-version-kinds), the subresource kinds
    /// of those, and everything they reference; the whole of `Schemas.definitions` for v2, as upstream's v2 has every type.
    static func definitions(refPrefix: String, kinds: [ResourceDefinition], everything: Bool) -> OpenAPIDefinitions {
        var defs = OpenAPIDefinitions(refPrefix: refPrefix, v3: refPrefix.hasPrefix("#/components"))
        if everything { for name in Schemas.definitions.keys.sorted() { defs.add(name) } }
        for def in kinds {
            let name = def.openAPIName
            if let custom = def.openAPISchema {
                defs.set(name, customResourceSchema(custom, refPrefix: refPrefix))
                defs.add(Schemas.meta)
            } else {
                defs.add(name)
            }
            defs.setExtension(name, gvk(def.group, def.version, def.kind))
            if !def.isVirtual {
                defs.set(name + "List", [
                    "type": "object", "required": ["items"],
                    "properties": ["apiVersion": ["type": "string", "description": .string(OpenAPIDescriptions.kindFields["apiVersion"] ?? "")],
                                   "kind": ["type": "string", "description": .string(OpenAPIDescriptions.kindFields["kind"] ?? "")],
                                   "metadata": ["$ref": .string(refPrefix + Schemas.listMeta)],
                                   "items": ["type": "array", "items": ["$ref": .string(refPrefix + name)]]],
                    "x-kubernetes-group-version-kind": [gvk(def.group, def.version, def.kind + "List")],
                ])
            }
            for sub in def.subresources where !sub.kind.isEmpty {
                let group = sub.group.isEmpty ? def.group : sub.group
                let version = sub.version.isEmpty ? def.version : sub.version
                let subName = Schemas.definitionName(kind: sub.kind, group: group, version: version)
                guard Schemas.definitions[subName] != nil else { continue }
                defs.add(subName)
                defs.setExtension(subName, gvk(group, version, sub.kind))
            }
        }
        defs.set(Schemas.listMeta, ["type": "object", "properties": ["continue": ["type": "string"], "remainingItemCount": ["type": "integer", "format": "int64"],
                                                                      "resourceVersion": ["type": "string"], "selfLink": ["type": "string"]]])
        defs.set("io.k8s.apimachinery.pkg.apis.meta.v1.Status", ["type": "object", "properties": [
            "apiVersion": ["type": "string"], "kind": ["type": "string"], "code": ["type": "integer", "format": "int32"],
            "message": ["type": "string"], "reason": ["type": "string"], "status": ["type": "string"],
            "details": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
            "metadata": ["$ref": .string(refPrefix + Schemas.listMeta)],
        ], "x-kubernetes-group-version-kind": [["group": "", "version": "v1", "kind": "Status"]]])
        defs.set("io.k8s.apimachinery.pkg.apis.meta.v1.Patch", ["type": "object",
                                                               "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body."])
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

    static func gvk(_ def: ResourceDefinition) -> JSONValue { gvk(def.group, def.version, def.kind) }

    static func gvk(_ group: String, _ version: String, _ kind: String) -> JSONValue {
        ["group": .string(group), "version": .string(version), "kind": .string(kind)]
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
                "components": ["schemas": .object(definitions(refPrefix: "#/components/schemas/", kinds: kinds, everything: false).schemas),
                               "securitySchemes": ["BearerToken": ["type": "apiKey", "name": "authorization", "in": "header"]]]]
    }

    static func buildV2(_ catalog: ResourceCatalog) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for def in catalog.definitions { for (p, v) in Self.paths(for: def, v3: false) { paths[p] = v } }
        return ["swagger": "2.0", "info": info(), "paths": .object(paths),
                "definitions": .object(definitions(refPrefix: "#/definitions/", kinds: catalog.definitions, everything: true).schemas),
                "securityDefinitions": ["BearerToken": ["type": "apiKey", "name": "authorization", "in": "header"]],
                "security": [["BearerToken": []]]]
    }
}
