import KubeJSON

/// The taints the node lifecycle controller owns (upstream's taint templates) and how a node's conditions map to them.
enum NodeTaints {
    static let notReady = "node.kubernetes.io/not-ready"
    static let unreachable = "node.kubernetes.io/unreachable"
    static let unschedulable = "node.kubernetes.io/unschedulable"

    /// taintKeyToNodeConditionMap inverted: a condition with this status puts the NoSchedule taint on the node.
    static let noScheduleByCondition: [(condition: String, status: String, taint: String)] = [
        ("Ready", "False", notReady),
        ("Ready", "Unknown", unreachable),
        ("MemoryPressure", "True", "node.kubernetes.io/memory-pressure"),
        ("DiskPressure", "True", "node.kubernetes.io/disk-pressure"),
        ("PIDPressure", "True", "node.kubernetes.io/pid-pressure"),
        ("NetworkUnavailable", "True", "node.kubernetes.io/network-unavailable"),
    ]

    static let managedNoScheduleKeys: Set<String> = Set(noScheduleByCondition.map(\.taint)).union([unschedulable])
    static let managedNoExecuteKeys: Set<String> = [notReady, unreachable]

    static func isManaged(_ taint: JSONValue) -> Bool {
        guard let key = taint["key"]?.string else { return false }
        switch taint["effect"]?.string {
        case "NoSchedule": return managedNoScheduleKeys.contains(key)
        case "NoExecute": return managedNoExecuteKeys.contains(key)
        default: return false
        }
    }

    /// The node's taints as they should be: the ones it has that this controller does not own, then the owned ones
    /// its conditions call for (taintNodeByCondition for NoSchedule, processTaintBaseEviction for NoExecute). An
    /// owned taint already present keeps its `timeAdded`; a new NoExecute taint is stamped `now`, as
    /// AddOrUpdateTaintOnNode does, because taint eviction counts toleration time from it.
    /// `evictionStatus` is the Ready status the NoExecute taints follow (.none: not judged yet, taints stay).
    static func desired(for node: JSONValue, now: String, policy: NoExecutePolicy = .normal,
                        evictionStatus: String?? = .none) -> [JSONValue] {
        let current = node[path: ["spec", "taints"]]?.array ?? []
        var result = current.filter { !isManaged($0) }
        func existing(_ key: String, _ effect: String) -> JSONValue? {
            current.first { $0["key"]?.string == key && $0["effect"]?.string == effect }
        }
        var wanted: [(String, String)] = []
        for entry in noScheduleByCondition
        where Lifecycle.condition(node, entry.condition)?["status"]?.string == entry.status {
            wanted.append((entry.taint, "NoSchedule"))
        }
        if node[path: ["spec", "unschedulable"]]?.bool == true { wanted.append((unschedulable, "NoSchedule")) }
        let tainted = hasNoExecute(current)
        let status = evictionStatus ?? nil
        switch (status, policy) {
        case (_, .removeAll), ("True", _):
            break
        case ("False", _) where policy == .normal || tainted:
            // A node already tainted gets the other taint at once (SwapNodeControllerTaint), whatever the zone.
            wanted.append((notReady, "NoExecute"))
        case ("Unknown", _) where policy == .normal || tainted:
            wanted.append((unreachable, "NoExecute"))
        case ("False", _), ("Unknown", _):
            break
        default:
            // Not judged yet, or no Ready condition: upstream decides nothing about eviction, so NoExecute taints
            // stay as they are.
            for taint in current where taint["effect"]?.string == "NoExecute" {
                if let key = taint["key"]?.string, managedNoExecuteKeys.contains(key) { wanted.append((key, "NoExecute")) }
            }
        }
        for (key, effect) in wanted {
            if let taint = existing(key, effect) {
                result.append(taint)
            } else if effect == "NoExecute" {
                result.append(["key": .string(key), "effect": .string(effect), "timeAdded": .string(now)])
            } else {
                result.append(["key": .string(key), "effect": .string(effect)])
            }
        }
        return result
    }

    /// Whether the list holds a NoExecute taint this controller owns.
    static func hasNoExecute(_ taints: [JSONValue]) -> Bool {
        taints.contains { $0["effect"]?.string == "NoExecute" && managedNoExecuteKeys.contains($0["key"]?.string ?? "") }
    }

    /// Whether two taint lists hold the same taints, whatever their order.
    static func sameSet(_ a: [JSONValue], _ b: [JSONValue]) -> Bool {
        a.count == b.count && Set(a) == Set(b)
    }
}
