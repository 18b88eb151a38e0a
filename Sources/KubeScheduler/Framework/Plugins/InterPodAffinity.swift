/// Required pod affinity and anti-affinity: the incoming pod's terms, and the anti-affinity of pods already placed
/// (symmetry). Counting is done once per cycle in PreFilter: over every node's pods only when the incoming pod has
/// terms, and over the pods with anti-affinity otherwise. Preferred terms are the plugin's score
/// (InterPodAffinityScoring.swift).
struct InterPodAffinity: PreFilterPlugin, FilterPlugin {
    let name = "InterPodAffinity"

    struct Domain: Hashable, Sendable {
        var key: String
        var value: String
    }

    struct Counts: Sendable {
        /// Per incoming affinity term: matching pods per domain.
        var affinity: [[Domain: Int]] = []
        var antiAffinity: [[Domain: Int]] = []
        /// Domains where a placed pod's anti-affinity term matches the incoming pod.
        var existingAntiAffinity: Set<Domain> = []
        /// No pod anywhere matches the affinity terms: the first pod of a group may go where its own labels match.
        var noAffinityMatches = true
    }

    func preFilter(_ pod: PodInfo, nodes: [NodeInfo], _ state: inout CycleState) -> PreFilterFailure? {
        var counts = Counts(affinity: Array(repeating: [:], count: pod.requiredAffinity.count),
                            antiAffinity: Array(repeating: [:], count: pod.requiredAntiAffinity.count))
        let ownTerms = !pod.requiredAffinity.isEmpty || !pod.requiredAntiAffinity.isEmpty
        var any = false
        for node in nodes {
            for key in node.antiAffinityPods {
                guard let other = node.pods[key] else { continue }
                for term in other.requiredAntiAffinity where term.matches(pod) {
                    if let value = node.labels[term.topologyKey] { counts.existingAntiAffinity.insert(Domain(key: term.topologyKey, value: value)) }
                }
            }
            guard ownTerms else { continue }
            any = true
            for other in node.pods.values where !other.isBeingDeleted {
                for (i, term) in pod.requiredAffinity.enumerated() where term.matches(other) {
                    guard let value = node.labels[term.topologyKey] else { continue }
                    counts.affinity[i][Domain(key: term.topologyKey, value: value), default: 0] += 1
                    counts.noAffinityMatches = false
                }
                for (i, term) in pod.requiredAntiAffinity.enumerated() where term.matches(other) {
                    guard let value = node.labels[term.topologyKey] else { continue }
                    counts.antiAffinity[i][Domain(key: term.topologyKey, value: value), default: 0] += 1
                }
            }
        }
        if any || !counts.existingAntiAffinity.isEmpty { state.podAffinity = counts }
        return nil
    }

    func filter(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Rejection? {
        guard let counts = state.podAffinity else { return nil }
        for domain in counts.existingAntiAffinity where node.labels[domain.key] == domain.value {
            return Rejection(plugin: name, reasons: ["node(s) didn't satisfy existing pods anti-affinity rules"], unresolvable: false)
        }
        for (i, term) in pod.requiredAntiAffinity.enumerated() {
            if let value = node.labels[term.topologyKey], (counts.antiAffinity[i][Domain(key: term.topologyKey, value: value)] ?? 0) > 0 {
                return Rejection(plugin: name, reasons: ["node(s) didn't match pod anti-affinity rules"], unresolvable: false)
            }
        }
        if !pod.requiredAffinity.isEmpty {
            let satisfied = pod.requiredAffinity.enumerated().allSatisfy { i, term in
                guard let value = node.labels[term.topologyKey] else { return false }
                return (counts.affinity[i][Domain(key: term.topologyKey, value: value)] ?? 0) > 0
            }
            // upstream: with no matching pod anywhere, a pod matching all its own terms starts the group.
            let firstOfGroup = counts.noAffinityMatches && pod.requiredAffinity.allSatisfy { $0.matches(pod) && node.labels[$0.topologyKey] != nil }
            if !satisfied && !firstOfGroup {
                return Rejection(plugin: name, reasons: ["node(s) didn't match pod affinity rules"], unresolvable: true)
            }
        }
        return nil
    }
}
