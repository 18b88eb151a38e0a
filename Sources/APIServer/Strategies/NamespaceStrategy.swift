import KubeAPI
import KubeJSON

/// Namespaces: DNS-label names, `kubernetes.io/metadata.name` label, Active → Terminating on delete (the namespace
/// controller empties and removes it).
struct NamespaceStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var deletesInTwoSteps: Bool { true }
    var returnsDeletedObject: Bool { true }

    func validateName(_ name: String) -> String? { NameRules.dnsLabel(name) }

    func prepareForCreate(_ object: inout JSONValue) {
        object["status"] = ["phase": "Active"]
        var finalizers = object[path: ["spec", "finalizers"]]?.array ?? []
        if !finalizers.contains("kubernetes") { finalizers.append("kubernetes") }
        object[path: ["spec", "finalizers"]] = .array(finalizers)
    }

    func applyDefaults(_ object: inout JSONValue) {
        var labels = object[path: ["metadata", "labels"]]?.object ?? [:]
        labels["kubernetes.io/metadata.name"] = .string(object.metaName)
        object.setMeta("labels", .object(labels))
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        object["status"] = old["status"]
        object["spec"] = old["spec"]
    }

    func prepareForDeletion(_ object: inout JSONValue) {
        object[path: ["status", "phase"]] = "Terminating"
    }

    func selectableFields(_ object: JSONValue) -> [String: String] {
        ["status.phase": FieldSets.string(object[path: ["status", "phase"]])]
    }
}
