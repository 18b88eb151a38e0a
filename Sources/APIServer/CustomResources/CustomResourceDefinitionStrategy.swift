import KubeAPI
import KubeJSON

/// apiextensions.k8s.io/v1 CustomResourceDefinitions: upstream's defaults and the validation users meet most
/// (name = plural.group, a group with a dot, one storage version, a structural schema with types). Deletion is two
/// steps, as upstream: the CRD controller deletes the custom resources, then removes the cleanup finalizer.
struct CustomResourceDefinitionStrategy: ResourceStrategy {
    static let cleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"

    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }
    var deletesInTwoSteps: Bool { true }

    func validateName(_ name: String) -> String? { nil }  // checked against spec.names in `validate`

    func applyDefaults(_ object: inout JSONValue) {
        guard var spec = object["spec"]?.object.map(JSONValue.object) else { return }
        if let kind = spec[path: ["names", "kind"]]?.string {
            if (spec[path: ["names", "singular"]]?.string ?? "").isEmpty { spec[path: ["names", "singular"]] = .string(kind.lowercased()) }
            if (spec[path: ["names", "listKind"]]?.string ?? "").isEmpty { spec[path: ["names", "listKind"]] = .string(kind + "List") }
        }
        if spec["conversion"] == nil { spec["conversion"] = ["strategy": "None"] }
        object["spec"] = spec
    }

    func prepareForDeletion(_ object: inout JSONValue) {
        var finalizers = object.metaFinalizers
        if !finalizers.contains(Self.cleanupFinalizer) {
            finalizers.append(Self.cleanupFinalizer)
            object.setMeta("finalizers", .array(finalizers.map { .string($0) }))
        }
    }

    func validate(_ crd: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = crd["spec"] ?? .emptyObject
        let group = spec["group"]?.string ?? ""
        let plural = spec[path: ["names", "plural"]]?.string ?? ""
        if group.isEmpty {
            errors.append(.required("spec.group"))
        } else if !NameValidation.isDNS1123Subdomain(group) {
            errors.append(.invalid("spec.group", group, NameValidation.dns1123SubdomainMessage))
        } else if !group.contains(".") {
            errors.append(.invalid("spec.group", group, "should be a domain with at least one dot"))
        }
        if crd.metaName != "\(plural).\(group)" {
            errors.append(.invalid("metadata.name", crd.metaName, "must be spec.names.plural+\".\"+spec.group"))
        }
        for field in ["plural", "singular", "kind", "listKind"] {
            let value = spec[path: ["names", field]]?.string ?? ""
            if value.isEmpty {
                errors.append(.required("spec.names.\(field)"))
            } else if field == "plural" || field == "singular", !NameValidation.isDNS1123Label(value) {
                errors.append(.invalid("spec.names.\(field)", value, NameValidation.dns1123LabelMessage))
            } else if field == "kind" || field == "listKind", let detail = NameRules.dns1035Label(value.lowercased()) {
                // As upstream: the lower-case form must be a DNS-1035 label (`Web-App` is a valid kind).
                errors.append(.invalid("spec.names.\(field)", value, "may have mixed case, but should otherwise match: \(detail)"))
            }
        }
        for (i, short) in (spec[path: ["names", "shortNames"]]?.array ?? []).enumerated() {
            if let s = short.string, !NameValidation.isDNS1123Label(s) {
                errors.append(.invalid("spec.names.shortNames[\(i)]", s, NameValidation.dns1123LabelMessage))
            }
        }
        let scope = spec["scope"]?.string ?? ""
        if scope.isEmpty {
            errors.append(.required("spec.scope"))
        } else if scope != "Namespaced", scope != "Cluster" {
            errors.append(.notSupported("spec.scope", scope, ["Cluster", "Namespaced"]))
        }
        let versions = spec["versions"]?.array ?? []
        if versions.isEmpty { errors.append(.required("spec.versions", "must have at least one version")) }
        var seen = Set<String>()
        var storage = 0
        for (i, version) in versions.enumerated() {
            let path = "spec.versions[\(i)]"
            let name = version["name"]?.string ?? ""
            if name.isEmpty {
                errors.append(.required("\(path).name"))
            } else if NameRules.dns1035Label(name) != nil {
                errors.append(.invalid("\(path).name", name, NameRules.dns1035Message))
            } else if !seen.insert(name).inserted {
                errors.append(.duplicate("spec.versions", name))
            }
            if version["served"]?.bool == nil { errors.append(.required("\(path).served")) }
            if version["storage"]?.bool == true { storage += 1 }
            if version["storage"]?.bool == nil { errors.append(.required("\(path).storage")) }
            guard let schema = version[path: ["schema", "openAPIV3Schema"]], schema.object != nil else {
                errors.append(.required("\(path).schema.openAPIV3Schema", "schemas are required"))
                continue
            }
            if (schema["type"]?.string ?? "") != "object" {
                errors.append(schema["type"] == nil
                    ? .required("\(path).schema.openAPIV3Schema.type", "must not be empty at the root")
                    : .invalid("\(path).schema.openAPIV3Schema.type", schema["type"]?.string ?? "", "must be object at the root"))
            }
            errors += Self.structural(schema, path: "\(path).schema.openAPIV3Schema")
            for (j, column) in (version["additionalPrinterColumns"]?.array ?? []).enumerated() {
                let columnPath = "\(path).additionalPrinterColumns[\(j)]"
                if (column["name"]?.string ?? "").isEmpty { errors.append(.required("\(columnPath).name")) }
                let jsonPath = column["jsonPath"]?.string ?? ""
                if jsonPath.isEmpty {
                    errors.append(.required("\(columnPath).jsonPath"))
                } else {
                    do { _ = try SimpleJSONPath(jsonPath) } catch { errors.append(.invalid("\(columnPath).jsonPath", jsonPath, "\(error)")) }
                }
                let type = column["type"]?.string ?? ""
                if !["integer", "number", "string", "boolean", "date"].contains(type) {
                    errors.append(.notSupported("\(columnPath).type", type, ["boolean", "date", "integer", "number", "string"]))
                }
            }
        }
        if !versions.isEmpty, storage != 1 {
            errors.append(.invalid("spec.versions", "", "must have exactly one version marked as storage version"))
        }
        return errors
    }

    func validateUpdate(_ crd: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(crd)
        for field in ["group", "scope"] where crd[path: ["spec", field]] != old[path: ["spec", field]] {
            if field == "scope" {
                errors.append(.invalid("spec.scope", crd[path: ["spec", "scope"]]?.string ?? "", "field is immutable"))
            } else {
                errors.append(.invalid("spec.group", crd[path: ["spec", "group"]]?.string ?? "", "field is immutable"))
            }
        }
        return errors
    }

    /// The structural rule users meet: every specified field has a type, unless it preserves unknown fields or is
    /// int-or-string.
    static func structural(_ schema: JSONValue, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        for key in (schema["properties"]?.object ?? [:]).keys.sorted() {
            guard let child = schema["properties"]?[key] else { continue }
            let childPath = "\(path).properties[\(key)]"
            let untyped = (child["type"]?.string ?? "").isEmpty
            if untyped, child["x-kubernetes-preserve-unknown-fields"]?.bool != true, child["x-kubernetes-int-or-string"]?.bool != true {
                errors.append(.required("\(childPath).type", "must not be empty for specified object fields"))
            }
            errors += structural(child, path: childPath)
        }
        if let items = schema["items"], items.object != nil {
            let itemsPath = "\(path).items"
            if (items["type"]?.string ?? "").isEmpty, items["x-kubernetes-preserve-unknown-fields"]?.bool != true,
               items["x-kubernetes-int-or-string"]?.bool != true {
                errors.append(.required("\(itemsPath).type", "must not be empty for specified array items"))
            }
            errors += structural(items, path: itemsPath)
        }
        if let additional = schema["additionalProperties"], additional.object != nil {
            errors += structural(additional, path: "\(path).additionalProperties")
        }
        return errors
    }
}
