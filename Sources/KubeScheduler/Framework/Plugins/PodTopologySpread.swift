import KubeAPI
import KubeJSON

/// topologySpreadConstraints with `whenUnsatisfiable: DoNotSchedule`: on a node in a domain (the value of the
/// node's `topologyKey` label) the matching pods there, the pod itself included, may exceed the emptiest domain
/// by at most maxSkew. Counting walks the pods of every node, so it happens once per cycle (PreFilter) and only
/// for pods that have such constraints; ScheduleAnyway constraints (a score upstream) are not implemented.
struct PodTopologySpread: PreFilterPlugin, FilterPlugin {
    let name = "PodTopologySpread"

    struct Constraint: Sendable {
        var maxSkew: Int64
        var topologyKey: String
        var minDomains: Int64
        /// nil selects nothing.
        var selector: Labels.Selector?
        var selfMatch: Int64
        /// Matching pods per domain, over the nodes the pod could go to by its node affinity (upstream's default
        /// nodeAffinityPolicy Honor); every such domain is present, empty ones at zero.
        var counts: [String: Int64] = [:]
    }

    func preFilter(_ pod: PodInfo, nodes: [NodeInfo], _ state: inout CycleState) -> PreFilterFailure? {
        var constraints: [Constraint] = []
        for c in pod.object[path: ["spec", "topologySpreadConstraints"]]?.array ?? [] where c["whenUnsatisfiable"]?.string == "DoNotSchedule" {
            guard let key = c["topologyKey"]?.string, !key.isEmpty else { continue }
            var selector = Labels.Selector(podSelector: c["labelSelector"])
            for labelKey in c["matchLabelKeys"]?.array?.compactMap(\.string) ?? [] {
                if let value = pod.labels[labelKey] { selector?.requirements.append(.equals(labelKey, value)) }
            }
            // No labelSelector selects no pods (upstream), so the pod does not count itself either.
            let hasSelector = c["labelSelector"].map { $0 != .null } ?? false
            constraints.append(Constraint(maxSkew: max(c["maxSkew"]?.int ?? 1, 1), topologyKey: key,
                                          minDomains: max(c["minDomains"]?.int ?? 1, 1), selector: selector,
                                          selfMatch: hasSelector && selector?.matches(pod.labels) == true ? 1 : 0))
        }
        guard !constraints.isEmpty else { return nil }
        let affinity = NodeAffinity()
        for node in nodes {
            guard constraints.allSatisfy({ node.labels[$0.topologyKey] != nil }),
                  affinity.filter(pod, node, state) == nil else { continue }
            for i in constraints.indices {
                guard let domain = node.labels[constraints[i].topologyKey] else { continue }
                var matching: Int64 = 0
                for other in node.pods.values where other.namespace == pod.namespace && !other.isBeingDeleted
                    && constraints[i].selector?.matches(other.labels) == true { matching += 1 }
                constraints[i].counts[domain, default: 0] += matching
            }
        }
        state.spreadConstraints = constraints
        return nil
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
