import KubeAPI
import KubeJSON

/// The rules of one served version of a custom resource, from its CRD: the schema defaults and validates, the status
/// subresource splits spec from status, and generation follows spec changes (custom resources always track it).
struct CustomResourceStrategy: ResourceStrategy {
    let schema: StructuralSchema?
    let hasStatusSubresource: Bool
    var tracksGeneration: Bool { true }

    func applyDefaults(_ object: inout JSONValue) {
        schema?.applyDefaults(&object)
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        schema?.validate(object, path: "") ?? []
    }

    func pruneUnknownFields(_ object: inout JSONValue) -> [String]? {
        var unknown: [String] = []
        schema?.prune(&object, path: "", unknown: &unknown, isRoot: true)
        return unknown
    }
}

/// Every served version stores the same objects: with conversion strategy None only apiVersion differs.
struct CustomResourceVersionConversion: StorageConversion {
    let apiVersion: String
    /// The served version's schema: its defaults are applied to objects read from storage too, as upstream does,
    /// so a default added to a CRD shows on objects stored before it.
    var schema: StructuralSchema?
    func toStorage(_ object: JSONValue) -> JSONValue { object }
    func fromStorage(_ object: JSONValue) -> JSONValue {
        var o = object
        o["apiVersion"] = .string(apiVersion)
        schema?.applyDefaults(&o)
        return o
    }
}

/// The resource definitions a CustomResourceDefinition serves: one per served version.
enum CustomResourceDefinitions {
    static func served(by crd: JSONValue) -> [ResourceDefinition] {
        let spec = crd["spec"] ?? .emptyObject
        let group = spec["group"]?.string ?? ""
        let names = spec["names"] ?? .emptyObject
        let plural = names["plural"]?.string ?? ""
        let kind = names["kind"]?.string ?? ""
        let namespaced = spec["scope"]?.string != "Cluster"
        var definitions: [ResourceDefinition] = []
        for version in spec["versions"]?.array ?? [] where version["served"]?.bool != false {
            guard let name = version["name"]?.string else { continue }
            let schemaJSON = version[path: ["schema", "openAPIV3Schema"]]
            let hasStatus = version[path: ["subresources", "status"]] != nil
            let structural = schemaJSON.map(StructuralSchema.init)
            let strategy = CustomResourceStrategy(schema: structural, hasStatusSubresource: hasStatus)
            var def = ResourceDefinition(group: group, version: name, resource: plural,
                                         singular: names["singular"]?.string ?? kind.lowercased(), kind: kind,
                                         namespaced: namespaced, strategy: strategy)
            def.shortNames = names["shortNames"]?.array?.compactMap(\.string) ?? []
            def.categories = names["categories"]?.array?.compactMap(\.string) ?? []
            def.columns = [TableColumn.name] + columns(version["additionalPrinterColumns"]?.array)
            def.openAPISchema = schemaJSON
            def.storageConversion = CustomResourceVersionConversion(apiVersion: "\(group)/\(name)", schema: structural)
            definitions.append(def)
        }
        return definitions
    }

    /// `additionalPrinterColumns`, or Age when there are none (upstream's default).
    static func columns(_ specs: [JSONValue]?) -> [TableColumn] {
        guard let specs, !specs.isEmpty else { return [TableColumn.age] }
        return specs.compactMap { spec in
            guard let name = spec["name"]?.string, let path = spec["jsonPath"]?.string,
                  let jsonPath = try? SimpleJSONPath(path) else { return nil }
            let type = spec["type"]?.string ?? "string"
            return TableColumn(name, type: type, format: spec["format"]?.string ?? "",
                               priority: Int(spec["priority"]?.int ?? 0), description: spec["description"]?.string ?? "") { object, now in
                let values = jsonPath.evaluate(object)
                guard let first = values.first else { return .null }
                switch type {
                case "date": return .string(HumanDuration.since(first.string, now: now))
                case "integer", "number", "boolean": return values.count == 1 ? first : .string(values.map(StructuralSchema.display).joined(separator: ","))
                default: return .string(values.map(StructuralSchema.display).joined(separator: ","))
                }
            }
        }
    }
}
