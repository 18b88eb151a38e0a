import ControllerRuntime
import KubeAPI
import KubeJSON

/// The selector of PodTopologySpread's system default constraints (upstream's helper.DefaultSelector): the
/// selectors of the Services that select the pod, merged, and that of its controlling ReplicaSet or StatefulSet.
/// Read from informer caches the scheduler does not wait for: until they list, pods get no default spreading.
struct SpreadSelectorSource: Sendable {
    static let namespaceIndex = "namespace"

    var services: ObjectCache
    var replicaSets: ObjectCache
    var statefulSets: ObjectCache

    /// nil when the selector would be empty (nothing selects the pod): then there are no default constraints.
    func selector(for pod: PodInfo) -> Labels.Selector? {
        var labels: [String: JSONValue] = [:]
        for service in services.byIndex(Self.namespaceIndex, pod.namespace) {
            // A Service without a selector selects nothing, not everything.
            guard let selector = service[path: ["spec", "selector"]]?.stringMap, !selector.isEmpty,
                  selector.allSatisfy({ pod.labels[$0.key] == $0.value }) else { continue }
            for (key, value) in selector { labels[key] = .string(value) }
        }
        var expressions: [JSONValue] = []
        let owner = (pod.object[path: ["metadata", "ownerReferences"]]?.array ?? []).first { $0["controller"] == true }
        if let owner, owner["apiVersion"]?.string == "apps/v1", let name = owner["name"]?.string {
            let cache: ObjectCache? = switch owner["kind"]?.string {
            case "ReplicaSet": replicaSets
            case "StatefulSet": statefulSets
            default: nil
            }
            if let selector = cache?.get(namespace: pod.namespace, name: name)?[path: ["spec", "selector"]] {
                for (key, value) in selector["matchLabels"]?.object ?? [:] {
                    expressions.append(["key": .string(key), "operator": "In", "values": [value]])
                }
                expressions += selector["matchExpressions"]?.array ?? []
            }
        }
        guard !labels.isEmpty || !expressions.isEmpty else { return nil }
        return Labels.Selector(podSelector: ["matchLabels": .object(labels), "matchExpressions": .array(expressions)])
    }

    static func byNamespace(_ object: JSONValue) -> [String] { [object[path: ["metadata", "namespace"]]?.string ?? ""] }
}
