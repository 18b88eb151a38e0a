import KubeAPI
import KubeJSON

/// The scheduler's filters that do not count resources, which the daemonset controller applies to decide where a
/// daemon pod should run: cordon, taints with NoSchedule/NoExecute, nodeSelector and required node affinity.
enum NodePlacement {
    /// Why the pod cannot go to the node, worded as upstream's filter plugins, or nil when it can.
    static func problem(_ pod: JSONValue, _ node: JSONValue) -> String? {
        if node[path: ["spec", "unschedulable"]]?.bool == true, !tolerates(pod, key: "node.kubernetes.io/unschedulable", value: "", effect: "NoSchedule") {
            return "node(s) were unschedulable"
        }
        let taints = (node[path: ["spec", "taints"]]?.array ?? []).map {
            (key: $0["key"]?.string ?? "", value: $0["value"]?.string ?? "", effect: $0["effect"]?.string ?? "")
        }
        for taint in taints where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
            if !tolerates(pod, key: taint.key, value: taint.value, effect: taint.effect) {
                return "node(s) had untolerated taint {\(taint.key): \(taint.value)}"
            }
        }
        let labels = node.metaLabels
        for (key, value) in pod[path: ["spec", "nodeSelector"]]?.stringMap ?? [:] where labels[key] != value {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        if let terms = pod[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]]?.array,
           !terms.isEmpty, !terms.contains(where: { termMatches($0, node) }) {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        return nil
    }

    /// A nodeSelectorTerm: its matchExpressions on the node's labels and its matchFields (only `metadata.name`, which
    /// daemonset pods use to name their node) on the node's name.
    static func termMatches(_ term: JSONValue, _ node: JSONValue) -> Bool {
        let expressions = term["matchExpressions"]?.array ?? []
        let fields = term["matchFields"]?.array ?? []
        if expressions.isEmpty && fields.isEmpty { return false }
        if !expressions.isEmpty,
           (try? LabelSelector(json: ["matchExpressions": .array(expressions)]))?.asSelector()?.matches(node.metaLabels) != true { return false }
        for field in fields {
            guard field["key"]?.string == "metadata.name" else { return false }
            let values = field["values"]?.array?.compactMap(\.string) ?? []
            switch field["operator"]?.string {
            case "In": if !values.contains(node.metaName) { return false }
            case "NotIn": if values.contains(node.metaName) { return false }
            default: return false
            }
        }
        return true
    }

    static func tolerates(_ pod: JSONValue, key: String, value: String, effect: String) -> Bool {
        (pod[path: ["spec", "tolerations"]]?.array ?? []).contains { t in
            let tKey = t["key"]?.string ?? ""
            let op = t["operator"]?.string ?? "Equal"
            let tEffect = t["effect"]?.string ?? ""
            guard tEffect.isEmpty || tEffect == effect else { return false }
            if tKey.isEmpty { return op == "Exists" }
            guard tKey == key else { return false }
            return op == "Exists" || (t["value"]?.string ?? "") == value
        }
    }
}
