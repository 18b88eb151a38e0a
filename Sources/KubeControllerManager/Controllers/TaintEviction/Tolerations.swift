import KubeJSON

/// Taints and tolerations as upstream's v1 helpers read them.
enum Tolerations {
    /// Toleration.ToleratesTaint: an empty effect or key matches any; the operator is Equal (default) or Exists.
    static func tolerates(_ toleration: JSONValue, _ taint: JSONValue) -> Bool {
        let effect = toleration["effect"]?.string ?? ""
        if !effect.isEmpty, effect != taint["effect"]?.string { return false }
        let key = toleration["key"]?.string ?? ""
        if !key.isEmpty, key != taint["key"]?.string { return false }
        switch toleration["operator"]?.string ?? "" {
        case "", "Equal": return (toleration["value"]?.string ?? "") == (taint["value"]?.string ?? "")
        case "Exists": return true
        default: return false
        }
    }

    /// GetMatchingTolerations: for each taint the first toleration that tolerates it; nil when a taint is not
    /// tolerated at all.
    static func matching(taints: [JSONValue], tolerations: [JSONValue]) -> [JSONValue]? {
        var used: [JSONValue] = []
        for taint in taints {
            guard let toleration = tolerations.first(where: { tolerates($0, taint) }) else { return nil }
            used.append(toleration)
        }
        return used
    }

    /// getMinTolerationTime: the shortest `tolerationSeconds` of the tolerations used (0 or less: at once); nil
    /// when none is bounded (the pod stays for good).
    static func minimumSeconds(_ tolerations: [JSONValue]) -> Double? {
        guard !tolerations.isEmpty else { return 0 }
        var minimum: Int64?
        for toleration in tolerations {
            guard let seconds = toleration["tolerationSeconds"]?.int else { continue }
            if seconds <= 0 { return 0 }
            minimum = min(minimum ?? seconds, seconds)
        }
        return minimum.map(Double.init)
    }

    /// The node's NoExecute taints.
    static func noExecuteTaints(_ node: JSONValue) -> [JSONValue] {
        (node[path: ["spec", "taints"]]?.array ?? []).filter { $0["effect"]?.string == "NoExecute" }
    }
}
