import KubeAPI
import KubeJSON

/// topologySpreadConstraints with `whenUnsatisfiable: DoNotSchedule`: on a node in a domain (the value of the
/// node's `topologyKey` label) the matching pods there, the pod itself included, may exceed the emptiest domain
/// by at most maxSkew. Counting walks the pods of every node, so it happens once per cycle (PreFilter) and only
/// for pods that have such constraints. ScheduleAnyway constraints are the plugin's score
/// (PodTopologySpreadScoring.swift).
struct PodTopologySpread: PreFilterPlugin, FilterPlugin {
    let name = "PodTopologySpread"
    /// Where the system default constraints' selector comes from; nil: no default constraints.
    var defaults: SpreadSelectorSource?

    struct Constraint: Sendable {
        var maxSkew: Int64
        var topologyKey: String
        var minDomains: Int64
        var selector: Labels.Selector
        var selfMatch: Int64
        /// Matching pods per domain, over the nodes the pod could go to by its node affinity (upstream's default
        /// nodeAffinityPolicy Honor); every such domain is present, empty ones at zero.
        var counts: [String: Int64] = [:]
        /// nodeAffinityPolicy (default Honor) and nodeTaintsPolicy (default Ignore): which nodes' pods count. The
        /// filter honours node affinity always; the score reads both.
        var honorsNodeAffinity = true
        var honorsTaints = false
    }

    func preFilter(_ pod: PodInfo, nodes: [NodeInfo], _ state: inout CycleState) -> PreFilterFailure? {
        var constraints = Self.constraints(pod, whenUnsatisfiable: "DoNotSchedule")
        guard !constraints.isEmpty else { return nil }
        let affinity = NodeAffinity()
        for node in nodes {
            guard constraints.allSatisfy({ node.labels[$0.topologyKey] != nil }),
                  affinity.filter(pod, node, state) == nil else { continue }
            for i in constraints.indices {
                guard let domain = node.labels[constraints[i].topologyKey] else { continue }
                constraints[i].counts[domain, default: 0] += Self.matchingPods(node, constraints[i].selector, namespace: pod.namespace)
            }
        }
        state.spreadConstraints = constraints
        return nil
    }

    /// The pod's constraints with the given `whenUnsatisfiable`, their selectors narrowed by matchLabelKeys.
    static func constraints(_ pod: PodInfo, whenUnsatisfiable: String) -> [Constraint] {
        var constraints: [Constraint] = []
        for c in pod.object[path: ["spec", "topologySpreadConstraints"]]?.array ?? [] where c["whenUnsatisfiable"]?.string == whenUnsatisfiable {
            guard let key = c["topologyKey"]?.string, !key.isEmpty else { continue }
            var selector = Labels.Selector(podSelector: c["labelSelector"])
            for labelKey in c["matchLabelKeys"]?.array?.compactMap(\.string) ?? [] {
                if let value = pod.labels[labelKey] { selector.requirements.append(.equals(labelKey, value)) }
            }
            // No labelSelector selects no pods (upstream), so the pod does not count itself either.
            let hasSelector = c["labelSelector"].map { $0 != .null } ?? false
            var constraint = Constraint(maxSkew: Int64(max(c.goInt32(["maxSkew"]) ?? 1, 1)), topologyKey: key,
                                        minDomains: Int64(max(c.goInt32(["minDomains"]) ?? 1, 1)), selector: selector,
                                        selfMatch: hasSelector && selector.matches(pod.labels) ? 1 : 0)
            constraint.honorsNodeAffinity = c["nodeAffinityPolicy"]?.string != "Ignore"
            constraint.honorsTaints = c["nodeTaintsPolicy"]?.string == "Honor"
            constraints.append(constraint)
        }
        return constraints
    }

    /// Pods of the incoming pod's namespace on `node` that the selector picks, terminating ones left out.
    static func matchingPods(_ node: NodeInfo, _ selector: Labels.Selector, namespace: String) -> Int64 {
        var matching: Int64 = 0
        for other in node.pods.values where other.namespace == namespace && !other.isBeingDeleted && selector.matches(other.labels) {
            matching += 1
        }
        return matching
    }

    func filter(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Rejection? {
        for c in state.spreadConstraints {
            guard let domain = node.labels[c.topologyKey] else {
                return Rejection(plugin: name, reasons: ["node(s) didn't match pod topology spread constraints (missing required label)"],
                                 unresolvable: true)
            }
            let minimum = Int64(c.counts.count) < c.minDomains ? 0 : c.counts.values.min() ?? 0
            let skew = (c.counts[domain] ?? 0).saturatingAdd(c.selfMatch).saturatingAdd(minimum.saturatingNegated)
            if skew > c.maxSkew {
                return Rejection(plugin: name, reasons: ["node(s) didn't match pod topology spread constraints"], unresolvable: false)
            }
        }
        return nil
    }
}
