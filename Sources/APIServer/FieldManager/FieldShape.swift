import KubeJSON

/// What server-side apply needs to know of a type at each point of an object (structured-merge-diff's schema):
/// whether an object is a struct (fields) or a map (keys, owned as a whole too), and whether a list is atomic,
/// a set, or associative (items keyed by some of their fields).
indirect enum FieldShape: Sendable {
    enum ListKind: Sendable, Equatable {
        case atomic
        case set
        case map(keys: [String])
    }

    case structure(Schema)
    case custom(StructuralSchema)
    /// No schema: objects are maps, lists atomic.
    case unknown

    static func of(_ definition: ResourceDefinition) -> FieldShape {
        if let strategy = definition.strategy as? CustomResourceStrategy, let schema = strategy.schema { return .custom(schema) }
        if let schema = definition.schema { return .structure(schema) }
        return .unknown
    }

    /// An object here is a map (every key its own field, and the map itself a member), not a struct.
    var isMap: Bool {
        switch self {
        case .structure(let schema):
            switch schema.resolved {
            case .map, .preserveUnknown: return true
            default: return false
            }
        case .custom(let schema):
            return schema.properties.isEmpty
        case .unknown:
            return true
        }
    }

    func child(_ field: String) -> FieldShape {
        switch self {
        case .structure(let schema):
            return schema.property(field).map(FieldShape.structure) ?? .unknown
        case .custom(let schema):
            if let child = schema.child(field) { return .custom(child) }
            return .unknown
        case .unknown:
            return .unknown
        }
    }

    var listKind: ListKind {
        switch self {
        case .structure(let schema):
            guard case .list(_, let mergeKey, let listType) = schema.resolved else { return .atomic }
            // A list can be merged by key in strategic merge patches and still be atomic to server-side apply
            // (JobStatus.conditions: patchMergeKey=type, listType=atomic); the listType decides ownership.
            if listType != "atomic", let mergeKey { return .map(keys: [mergeKey]) }
            return listType == "set" ? .set : .atomic
        case .custom(let schema):
            switch schema.listType {
            case "set": return .set
            case "map": return .map(keys: schema.listMapKeys)
            default: return .atomic
            }
        case .unknown:
            return .atomic
        }
    }

    var item: FieldShape {
        switch self {
        case .structure(let schema):
            if case .list(let element, _, _) = schema.resolved { return .structure(element) }
            return .unknown
        case .custom(let schema):
            return schema.items.map(FieldShape.custom) ?? .unknown
        case .unknown:
            return .unknown
        }
    }
}
