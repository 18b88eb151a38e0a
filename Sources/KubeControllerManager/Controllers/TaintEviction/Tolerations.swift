import KubeAPI
import KubeJSON

/// Taints and tolerations as upstream's v1 helpers read them.
enum Tolerations {
    /// GetMatchingTolerations: for each taint the first toleration that tolerates it; nil when a taint is not
    /// tolerated at all.
    static func matching(taints: [Taint], tolerations: [Toleration]) -> [Toleration]? {
        var used: [Toleration] = []
        for taint in taints {
            guard let toleration = tolerations.first(where: { $0.tolerates(taint) }) else { return nil }
            used.append(toleration)
        }
        return used
    }

    /// getMinTolerationTime: the shortest `tolerationSeconds` of the tolerations used (0 or less: at once); nil
    /// when none is bounded (the pod stays for good).
    static func minimumSeconds(_ tolerations: [Toleration]) -> Double? {
        guard !tolerations.isEmpty else { return 0 }
        var minimum: Int64?
        for toleration in tolerations {
            guard let seconds = toleration.tolerationSeconds else { continue }
            if seconds <= 0 { return 0 }
            minimum = min(minimum ?? seconds, seconds)
        }
        return minimum.map(Double.init)
    }

    private struct NodeView: Decodable {
        struct Spec: Decodable { var taints: [Taint]? }
        var spec: Spec?
    }

    private struct PodView: Decodable {
        struct Spec: Decodable { var tolerations: [Toleration]? }
        var spec: Spec?
    }

    /// The node's NoExecute taints, reading `spec.taints` only (node events are frequent: every heartbeat).
    static func noExecuteTaints(_ node: JSONValue) throws -> [Taint] {
        do {
            return (try NodeView(json: node).spec?.taints ?? []).filter { $0.effect == "NoExecute" }
        } catch {
            throw UndecodableObject(kind: "Node", namespace: "", name: node.metaName, error: error)
        }
    }

    /// The pod's `spec.tolerations`, nothing else of it.
    static func tolerations(_ pod: JSONValue) throws -> [Toleration] {
        do {
            return try PodView(json: pod).spec?.tolerations ?? []
        } catch {
            throw UndecodableObject(kind: "Pod", namespace: pod.metaNamespace, name: pod.metaName, error: error)
        }
    }
}
