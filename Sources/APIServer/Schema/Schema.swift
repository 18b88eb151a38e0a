import KubeJSON

/// The shape of an API type, written once in Swift and used for three things: strict field validation
/// (`fieldValidation=Strict` finds unknown fields), the merge keys of strategic merge patch, and the OpenAPI v2/v3
/// documents kubectl reads. Subtrees the server does not model are `.preserveUnknown` (anything goes).
public indirect enum Schema: Sendable {
    case string(format: String? = nil, description: String = "")
    case integer(format: String = "int32")
    case number
    case boolean
    case intOrString
    case quantity
    case time
    /// `goType` is upstream's Go struct (`DeploymentSpec`): decode errors name the field through it, as Go's do.
    case object(properties: [String: Schema], required: [String] = [], description: String = "", goType: String = "")
    /// map[string]T
    case map(Schema)
    /// A list; `mergeKey` makes strategic merge patch merge elements by that field; `atomic` replaces the list.
    case list(Schema, mergeKey: String? = nil, listType: String? = nil)
    case ref(String)
    case preserveUnknown

    public static let str = Schema.string()

    public func property(_ name: String) -> Schema? {
        if case .object(let props, _, _, _) = resolved { return props[name] }
        if case .map(let value) = resolved { return value }
        return nil
    }

    /// Follows `.ref` to the named definition.
    public var resolved: Schema {
        if case .ref(let name) = self { return Schemas.definitions[name]?.resolvedOnce ?? .preserveUnknown }
        return self
    }

    var resolvedOnce: Schema {
        if case .ref(let name) = self { return Schemas.definitions[name] ?? .preserveUnknown }
        return self
    }
}
