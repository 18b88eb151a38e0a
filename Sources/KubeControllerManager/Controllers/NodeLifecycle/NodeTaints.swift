import KubeAPI

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

    static func isManaged(_ taint: Taint) -> Bool {
        switch taint.effect {
        case "NoSchedule": return managedNoScheduleKeys.contains(taint.key)
        case "NoExecute": return managedNoExecuteKeys.contains(taint.key)
        default: return false
        }
    }

    /// The node's taints as they should be: the ones it has that this controller does not own, then the owned ones
    /// its conditions call for (taintNodeByCondition for NoSchedule, processTaintBaseEviction for NoExecute). An
    /// owned taint already present keeps its `timeAdded`; a new NoExecute taint is stamped `now`, as
    /// AddOrUpdateTaintOnNode does, because taint eviction counts toleration time from it.
    /// `evictionStatus` is the Ready status the NoExecute taints follow (.none: not judged yet, taints stay).
    static func desired(for node: Node, now: String, policy: NoExecutePolicy = .normal,
                        evictionStatus: String?? = .none) -> [Taint] {
        let current = node.spec.taints ?? []
        var result = current.filter { !isManaged($0) }
        func existing(_ key: String, _ effect: String) -> Taint? {
            current.first { $0.key == key && $0.effect == effect }
        }
        var wanted: [(String, String)] = []
        for entry in noScheduleByCondition where node.status.condition(entry.condition)?.status == entry.status {
            wanted.append((entry.taint, "NoSchedule"))
        }
        if node.spec.unschedulable { wanted.append((unschedulable, "NoSchedule")) }
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
            for taint in current where taint.effect == "NoExecute" && managedNoExecuteKeys.contains(taint.key) {
                wanted.append((taint.key, "NoExecute"))
            }
        }
        for (key, effect) in wanted {
            if let taint = existing(key, effect) {
                result.append(taint)
            } else {
                result.append(Taint(key: key, effect: effect, timeAdded: effect == "NoExecute" ? now : nil))
            }
        }
        return result
    }

    /// Whether the list holds a NoExecute taint this controller owns.
    static func hasNoExecute(_ taints: [Taint]) -> Bool {
        taints.contains { $0.effect == "NoExecute" && managedNoExecuteKeys.contains($0.key) }
    }

    /// Whether two taint lists hold the same taints, whatever their order.
    static func sameSet(_ a: [Taint], _ b: [Taint]) -> Bool {
        a.count == b.count && Set(a) == Set(b)
    }
}
