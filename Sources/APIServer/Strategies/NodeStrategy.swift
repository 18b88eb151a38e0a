import KubeAPI
import KubeJSON

/// Nodes: cluster-scoped, the kubelet posts spec and status together on registration.
struct NodeStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }

    func prepareForCreate(_ object: inout JSONValue) {}

    func selectableFields(_ object: JSONValue) -> [String: String] {
        ["spec.unschedulable": object[path: ["spec", "unschedulable"]]?.bool == true ? "true" : "false"]
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        for (i, taint) in (object[path: ["spec", "taints"]]?.array ?? []).enumerated() {
            if (taint["key"]?.string ?? "").isEmpty { errors.append(.required("spec.taints[\(i)].key")) }
            let effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
            let effect = taint["effect"]?.string ?? ""
            if effect.isEmpty {
                errors.append(.required("spec.taints[\(i)].effect"))
            } else if !effects.contains(effect) {
                errors.append(.notSupported("spec.taints[\(i)].effect", effect, effects))
            }
        }
        return errors
    }
}
