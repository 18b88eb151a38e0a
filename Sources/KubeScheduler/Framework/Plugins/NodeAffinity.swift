/// spec.nodeSelector and required node affinity must both match the node's labels (and name, for matchFields);
/// preferred terms add their weights to the node's score.
struct NodeAffinity: FilterPlugin, ScorePlugin {
    let name = "NodeAffinity"

    func filter(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Rejection? {
        let selectorFits = pod.nodeSelector.allSatisfy { node.labels[$0.key] == $0.value }
        let affinityFits = pod.requiredNodeAffinity.map { $0.matches(name: node.name, labels: node.labels) } ?? true
        guard !(selectorFits && affinityFits) else { return nil }
        return Rejection(plugin: name, reasons: ["node(s) didn't match Pod's node affinity/selector"], unresolvable: true)
    }

    func score(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Int64 {
        pod.preferredNodeAffinity.reduce(Int64(0)) { total, preferred in
            preferred.term.matches(name: node.name, labels: node.labels) ? total.saturatingAdd(preferred.weight) : total
        }
    }

    func normalize(_ scores: inout [Int64]) { defaultNormalize(&scores, reverse: false) }
}
