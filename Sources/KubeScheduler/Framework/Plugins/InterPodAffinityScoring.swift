/// InterPodAffinity's score (upstream's scoring.go): per topology domain, the weights of the incoming pod's
/// preferred terms that placed pods there match (anti-affinity subtracting), plus the placed pods' terms that match
/// the incoming pod — their preferred terms by weight and their required affinity by hardPodAffinityWeight (1).
/// When the incoming pod has no preferred terms only the pods counted in NodeInfo.affinityPods are visited.
extension InterPodAffinity: PreScorePlugin, ScorePlugin {
    /// upstream's default hardPodAffinityWeight.
    static let hardPodAffinityWeight: Int64 = 1

    /// topologyKey → value → summed weight.
    typealias ScoreMap = [String: [String: Int64]]

    func preScore(_ pod: PodInfo, feasible: [NodeInfo], all: [NodeInfo], _ state: inout CycleState) {
        guard !feasible.isEmpty else { return }
        let ownTerms = !pod.preferredAffinity.isEmpty || !pod.preferredAntiAffinity.isEmpty
        var scores: ScoreMap = [:]
        func add(_ term: AffinityTerm, _ weight: Int64, _ node: NodeInfo) {
            guard let value = node.labels[term.topologyKey] else { return }
            scores[term.topologyKey, default: [:]][value, default: 0] =
                (scores[term.topologyKey]?[value] ?? 0).saturatingAdd(weight)
        }
        func visit(_ existing: PodInfo, on node: NodeInfo) {
            for (weight, term) in pod.preferredAffinity where term.matches(existing) { add(term, weight, node) }
            for (weight, term) in pod.preferredAntiAffinity where term.matches(existing) { add(term, weight.saturatingNegated, node) }
            for term in existing.requiredAffinity where term.matches(pod) { add(term, Self.hardPodAffinityWeight, node) }
            for (weight, term) in existing.preferredAffinity where term.matches(pod) { add(term, weight, node) }
            for (weight, term) in existing.preferredAntiAffinity where term.matches(pod) { add(term, weight.saturatingNegated, node) }
        }
        for node in all where !node.labels.isEmpty {
            if ownTerms {
                for existing in node.pods.values { visit(existing, on: node) }
            } else {
                for key in node.affinityPods { if let existing = node.pods[key] { visit(existing, on: node) } }
            }
        }
        if !scores.isEmpty { state.affinityScores = scores }
    }

    func score(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Int64 {
        guard let scores = state.affinityScores else { return 0 }
        var total: Int64 = 0
        for (key, values) in scores {
            if let value = node.labels[key], let weight = values[value] { total = total.saturatingAdd(weight) }
        }
        return total
    }

    /// upstream: scaled linearly from the lowest (0) to the highest (100); all equal score 0.
    func normalize(_ scores: inout [Int64], nodes: [NodeInfo], _ state: CycleState) {
        guard state.affinityScores != nil, let lowest = scores.min(), let highest = scores.max() else { return }
        let spread = Double(highest) - Double(lowest)
        for i in scores.indices {
            scores[i] = spread > 0 ? Int64(clampingDouble: Double(maxNodeScore) * ((Double(scores[i]) - Double(lowest)) / spread)) : 0
        }
    }
}
