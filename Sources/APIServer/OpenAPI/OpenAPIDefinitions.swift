import KubeJSON

/// The `definitions` (v2) or `components.schemas` (v3) of one document. Every Go struct of a kind's schema is its own
/// definition, named as upstream names it (`io.k8s.api.apps.v1.RollingUpdateDeployment`) and referenced with `$ref`, so
/// `kubectl explain` shows the struct's name as the field's type. A struct lives in the package of the definition that
/// holds it, except the ones every group shares (`sharedPackages`). Two different shapes under one name would show one
/// kind's fields under another's (StatefulSet's `partition` in a Deployment): such a name is recorded in `conflicts`
/// and the second shape is written inline instead, so no document ever describes a field a kind does not have.
struct OpenAPIDefinitions {
    let refPrefix: String
    /// v3 wraps a described reference in `allOf`, as upstream does (a sibling of `$ref` is ignored by JSON Schema).
    let v3: Bool
    private(set) var schemas: [String: JSONValue] = [:]
    private(set) var conflicts: Set<String> = []
    private var building: Set<String> = []

    init(refPrefix: String, v3: Bool) {
        self.refPrefix = refPrefix
        self.v3 = v3
    }

    static let metaPackage = "io.k8s.apimachinery.pkg.apis.meta.v1"
    static let corePackage = "io.k8s.api.core.v1"

    /// Go structs used across groups, in the package upstream declares them in.
    static let sharedPackages: [String: String] = [
        "ObjectMeta": metaPackage, "OwnerReference": metaPackage, "LabelSelector": metaPackage,
        "LabelSelectorRequirement": metaPackage, "Condition": metaPackage, "ListMeta": metaPackage,
        "PodTemplateSpec": corePackage, "PodSpec": corePackage, "ObjectReference": corePackage,
        "LocalObjectReference": corePackage, "TypedLocalObjectReference": corePackage, "Toleration": corePackage,
    ]

    static func package(of definitionName: String) -> String {
        guard let dot = definitionName.lastIndex(of: ".") else { return definitionName }
        return String(definitionName[..<dot])
    }

    /// Adds a named definition of `Schemas.definitions` (a kind, ObjectMeta, …) and what it references.
    mutating func add(_ name: String) {
        guard schemas[name] == nil, !building.contains(name), let schema = Schemas.definitions[name] else { return }
        building.insert(name)
        defer { building.remove(name) }
        let package = Self.package(of: name)
        if case .object(let properties, let required, let description, _) = schema {
            schemas[name] = objectBody(properties, required: required, description: description, name: name, package: package)
        } else {
            schemas[name] = json(schema, package: package)
        }
    }

    /// Sets a definition written elsewhere (a custom resource's schema, the List kinds, Status).
    mutating func set(_ name: String, _ body: JSONValue) { schemas[name] = body }

    /// Adds a group-version-kind to a definition's `x-kubernetes-group-version-kind` (a type served in several
    /// versions, as a subresource's Scale, lists each).
    mutating func setExtension(_ name: String, _ gvk: JSONValue) {
        guard var body = schemas[name] else { return }
        var list = body["x-kubernetes-group-version-kind"]?.array ?? []
        if !list.contains(gvk) { list.append(gvk) }
        body["x-kubernetes-group-version-kind"] = .array(list)
        schemas[name] = body
    }

    mutating func json(_ schema: Schema, package: String) -> JSONValue {
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
        case .object(let properties, let required, let description, let goType):
            guard !goType.isEmpty else {
                return objectBody(properties, required: required, description: description, name: "", package: package)
            }
            let structPackage = Self.sharedPackages[goType] ?? package
            let name = structPackage + "." + goType
            if building.contains(name) { return ["$ref": .string(refPrefix + name)] }
            building.insert(name)
            let body = objectBody(properties, required: required, description: description, name: name, package: structPackage)
            building.remove(name)
            if let existing = schemas[name], existing != body {
                conflicts.insert(name)
                return body
            }
            schemas[name] = body
            return ["$ref": .string(refPrefix + name)]
        case .map(let value): return ["type": "object", "additionalProperties": json(value, package: package)]
        case .list(let element, let mergeKey, let listType):
            var j: JSONValue = ["type": "array", "items": json(element, package: package)]
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
        case .ref(let name):
            add(name)
            return ["$ref": .string(refPrefix + name)]
        case .preserveUnknown: return ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
        }
    }

    /// An object's properties (with the descriptions written for its definition `name`), required fields and description.
    mutating func objectBody(_ properties: [String: Schema], required: [String], description: String, name: String,
                             package: String) -> JSONValue {
        let written = OpenAPIDescriptions.fields(of: name)
        var props: [String: JSONValue] = [:]
        for (field, schema) in properties {
            props[field] = described(json(schema, package: package), written[field])
        }
        var j: JSONValue = ["type": "object", "properties": .object(props)]
        if !required.isEmpty { j["required"] = .array(required.map { .string($0) }) }
        let text = description.isEmpty ? OpenAPIDescriptions.type(name) : description
        if let text, !text.isEmpty { j["description"] = .string(text) }
        return j
    }

    func described(_ property: JSONValue, _ description: String?) -> JSONValue {
        guard let description, !description.isEmpty else { return property }
        var p = property
        if let ref = p["$ref"], v3 {
            p = ["allOf": [["$ref": ref]]]
        }
        p["description"] = .string(description)
        return p
    }
}
