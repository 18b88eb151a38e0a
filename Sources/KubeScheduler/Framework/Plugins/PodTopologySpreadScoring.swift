#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// PodTopologySpread's score (upstream's scoring.go): `ScheduleAnyway` constraints, or — for a pod without any
/// constraints that a Service, ReplicaSet or StatefulSet selects — the system defaults (zone maxSkew 5, hostname
/// maxSkew 3). A node scores, per constraint, the matching pods in its domain times log(domains + 2) plus
/// maxSkew - 1; fewer is better, so normalization reverses the order.
extension PodTopologySpread: PreScorePlugin, ScorePlugin {
    static let hostnameKey = "kubernetes.io/hostname"
    static let zoneKey = "topology.kubernetes.io/zone"

    struct ScoringState: Sendable {
        var constraints: [Constraint]
        /// Matching pods per domain value, per constraint (hostname constraints are counted per node in Score).
        var counts: [[String: Int64]]
        /// log(number of domains among the scored nodes + 2), per constraint.
        var weights: [Double]
        /// Scored nodes without every topology key (explicit constraints only): they score 0 after normalization.
        var ignored: Set<String>
    }

    func preScore(_ pod: PodInfo, feasible: [NodeInfo], all: [NodeInfo], _ state: inout CycleState) {
        let explicit = pod.object[path: ["spec", "topologySpreadConstraints"]]?.array.map { !$0.isEmpty } ?? false
        let constraints: [Constraint]
        if explicit {
            constraints = Self.constraints(pod, whenUnsatisfiable: "ScheduleAnyway")
        } else if let selector = defaults?.selector(for: pod) {
            constraints = [Constraint(maxSkew: 5, topologyKey: Self.zoneKey, minDomains: 1, selector: selector, selfMatch: 0),
                           Constraint(maxSkew: 3, topologyKey: Self.hostnameKey, minDomains: 1, selector: selector, selfMatch: 0)]
        } else {
            constraints = []
        }
        guard !constraints.isEmpty, !feasible.isEmpty else { return }
        // upstream ignores nodes missing a key only for the pod's own constraints: the defaults apply to any node.
        let requireAll = explicit
        func hasAllKeys(_ node: NodeInfo) -> Bool { constraints.allSatisfy { node.labels[$0.topologyKey] != nil } }

        var scoring = ScoringState(constraints: constraints, counts: Array(repeating: [:], count: constraints.count),
                                   weights: [], ignored: [])
        for node in feasible {
            if requireAll && !hasAllKeys(node) {
                scoring.ignored.insert(node.name)
                continue
            }
            for (i, c) in constraints.enumerated() where c.topologyKey != Self.hostnameKey {
                let value = node.labels[c.topologyKey] ?? ""
                if scoring.counts[i][value] == nil { scoring.counts[i][value] = 0 }
            }
        }
        let scoredNodes = feasible.count - scoring.ignored.count
        scoring.weights = constraints.indices.map { i in
            let domains = constraints[i].topologyKey == Self.hostnameKey ? scoredNodes : scoring.counts[i].count
            return log(Double(domains + 2))
        }
        // Only domains of scored nodes are counted, but over every node in them (the infeasible ones too).
        let affinity = NodeAffinity(), taints = TaintToleration()
        for node in all {
            if requireAll && !hasAllKeys(node) { continue }
            var fitsAffinity: Bool?
            for (i, c) in constraints.enumerated() where c.topologyKey != Self.hostnameKey {
                let value = node.labels[c.topologyKey] ?? ""
                guard let count = scoring.counts[i][value] else { continue }
                if c.honorsNodeAffinity {
                    if fitsAffinity == nil { fitsAffinity = affinity.filter(pod, node, state) == nil }
                    if fitsAffinity == false { continue }
                }
                if c.honorsTaints && taints.filter(pod, node, state) != nil { continue }
                scoring.counts[i][value] = count.saturatingAdd(Self.matchingPods(node, c.selector, namespace: pod.namespace))
            }
        }
        state.spreadScoring = scoring
    }

    func score(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Int64 {
        guard let s = state.spreadScoring, !s.ignored.contains(node.name) else { return 0 }
        var score = 0.0
        for (i, c) in s.constraints.enumerated() {
            guard let value = node.labels[c.topologyKey] else { continue }
            let count = c.topologyKey == Self.hostnameKey
                ? Self.matchingPods(node, c.selector, namespace: pod.namespace) : s.counts[i][value] ?? 0
            score += Double(count) * s.weights[i] + Double(c.maxSkew - 1)
        }
        return Int64(clampingDouble: score.rounded())
    }

    /// upstream: MaxNodeScore * (max + min - score) / max over the nodes not ignored; all equal at 0 score 100.
    func normalize(_ scores: inout [Int64], nodes: [NodeInfo], _ state: CycleState) {
        guard let s = state.spreadScoring else { return }
        var lowest = Int64.max, highest: Int64 = 0
        for (i, node) in nodes.enumerated() where !s.ignored.contains(node.name) {
            lowest = min(lowest, scores[i])
            highest = max(highest, scores[i])
        }
        for (i, node) in nodes.enumerated() {
            if s.ignored.contains(node.name) {
                scores[i] = 0
            } else if highest == 0 {
                scores[i] = maxNodeScore
            } else {
                scores[i] = maxNodeScore.saturatingMultiply(highest.saturatingAdd(lowest).saturatingAdd(scores[i].saturatingNegated)) / highest
            }
        }
    }
}
