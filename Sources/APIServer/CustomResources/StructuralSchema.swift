import KubeJSON

/// A CustomResourceDefinition version's `openAPIV3Schema` (apiextensions.k8s.io/v1 JSONSchemaProps), read once when
/// the CRD is served, for the three jobs upstream's structural schemas do: pruning unknown fields, defaulting, and
/// validating custom resources with upstream's messages.
final class StructuralSchema: Sendable {
    enum Additional: Sendable {
        case unspecified
        case allowed(Bool)
        case schema(StructuralSchema)
    }

    let type: String?
    let format: String?
    let properties: [String: StructuralSchema]
    let additionalProperties: Additional
    let items: StructuralSchema?
    let required: [String]
    let enumValues: [JSONValue]?
    let defaultValue: JSONValue?
    let nullable: Bool
    let minimum: Double?
    let maximum: Double?
    let exclusiveMinimum: Bool
    let exclusiveMaximum: Bool
    let multipleOf: Double?
    let minLength: Int?
    let maxLength: Int?
    let pattern: String?
    let minItems: Int?
    let maxItems: Int?
    let uniqueItems: Bool
    let minProperties: Int?
    let maxProperties: Int?
    let preserveUnknownFields: Bool
    let intOrString: Bool
    let embeddedResource: Bool
    /// `x-kubernetes-list-type` (atomic, set, map) and `x-kubernetes-list-map-keys`, for server-side apply.
    let listType: String?
    let listMapKeys: [String]
    let allOf: [StructuralSchema]
    let anyOf: [StructuralSchema]
    let oneOf: [StructuralSchema]
    let not: StructuralSchema?

    init(_ json: JSONValue) {
        type = json["type"]?.string
        format = json["format"]?.string
        properties = (json["properties"]?.object ?? [:]).mapValues(StructuralSchema.init)
        switch json["additionalProperties"] {
        case .bool(let b)?: additionalProperties = .allowed(b)
        case .object?: additionalProperties = .schema(StructuralSchema(json["additionalProperties"] ?? .emptyObject))
        default: additionalProperties = .unspecified
        }
        items = json["items"].flatMap { $0.object != nil ? StructuralSchema($0) : nil }
        required = json["required"]?.array?.compactMap(\.string) ?? []
        enumValues = json["enum"]?.array
        defaultValue = json["default"]
        nullable = json["nullable"]?.bool ?? false
        minimum = Self.number(json["minimum"])
        maximum = Self.number(json["maximum"])
        exclusiveMinimum = json["exclusiveMinimum"]?.bool ?? false
        exclusiveMaximum = json["exclusiveMaximum"]?.bool ?? false
        multipleOf = Self.number(json["multipleOf"])
        minLength = json["minLength"]?.int.map(Int.init)
        maxLength = json["maxLength"]?.int.map(Int.init)
        pattern = json["pattern"]?.string
        minItems = json["minItems"]?.int.map(Int.init)
        maxItems = json["maxItems"]?.int.map(Int.init)
        uniqueItems = json["uniqueItems"]?.bool ?? false
        minProperties = json["minProperties"]?.int.map(Int.init)
        maxProperties = json["maxProperties"]?.int.map(Int.init)
        preserveUnknownFields = json["x-kubernetes-preserve-unknown-fields"]?.bool ?? false
        intOrString = json["x-kubernetes-int-or-string"]?.bool ?? false
        embeddedResource = json["x-kubernetes-embedded-resource"]?.bool ?? false
        listType = json["x-kubernetes-list-type"]?.string
        listMapKeys = json["x-kubernetes-list-map-keys"]?.array?.compactMap(\.string) ?? []
        allOf = json["allOf"]?.array?.map(StructuralSchema.init) ?? []
        anyOf = json["anyOf"]?.array?.map(StructuralSchema.init) ?? []
        oneOf = json["oneOf"]?.array?.map(StructuralSchema.init) ?? []
        not = json["not"].map(StructuralSchema.init)
    }

    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default: return nil
        }
    }

    /// The schema of a map value or object property, for pruning and defaulting.
    func child(_ key: String) -> StructuralSchema? {
        if let p = properties[key] { return p }
        if case .schema(let s) = additionalProperties { return s }
        return nil
    }

    /// Whether fields not in `properties` survive (upstream prunes them unless the schema preserves them).
    var keepsUnknownFields: Bool {
        if preserveUnknownFields { return true }
        if case .schema = additionalProperties { return true }
        if case .allowed(true) = additionalProperties { return true }
        return false
    }

    // MARK: pruning

    /// Drops fields the schema does not declare, appending their paths to `unknown`. The top level keeps
    /// apiVersion, kind and metadata; an embedded resource keeps them too.
    func prune(_ value: inout JSONValue, path: String, unknown: inout [String], isRoot: Bool = false) {
        switch value {
        case .object(var object):
            for key in object.keys.sorted() {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if (isRoot || embeddedResource), ["apiVersion", "kind", "metadata"].contains(key) { continue }
                if let schema = child(key) {
                    if var v = object[key] {
                        schema.prune(&v, path: childPath, unknown: &unknown)
                        object[key] = v
                    }
                } else if !keepsUnknownFields {
                    unknown.append(childPath)
                    object[key] = nil
                }
            }
            value = .object(object)
        case .array(var array):
            if let items {
                for i in array.indices { items.prune(&array[i], path: "\(path)[\(i)]", unknown: &unknown) }
                value = .array(array)
            }
        default:
            break
        }
    }

    // MARK: defaulting

    /// Fills in `default`s of absent properties, depth first.
    func applyDefaults(_ value: inout JSONValue) {
        switch value {
        case .object(var object):
            for (key, schema) in properties {
                if object[key] == nil, let d = schema.defaultValue { object[key] = d }
            }
            for key in object.keys {
                guard let schema = child(key), var v = object[key] else { continue }
                schema.applyDefaults(&v)
                object[key] = v
            }
            value = .object(object)
        case .array(var array):
            if let items {
                for i in array.indices { items.applyDefaults(&array[i]) }
                value = .array(array)
            }
        default:
            break
        }
    }
}
