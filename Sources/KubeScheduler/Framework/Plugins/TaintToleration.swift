/// NoSchedule and NoExecute taints keep out pods that do not tolerate them; PreferNoSchedule taints only lower the
/// node's score (three times the weight of the resource scores by default, as upstream).
struct TaintToleration: FilterPlugin, ScorePlugin {
    let name = "TaintToleration"

    func filter(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Rejection? {
        for taint in node.taints where !pod.tolerations.contains(where: { $0.tolerates(taint) }) {
            return Rejection(plugin: name, reasons: ["node(s) had untolerated taint {\(taint.key): \(taint.value)}"], unresolvable: true)
        }
        return nil
    }

    func score(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Int64 {
        let preferring = pod.tolerations.filter { $0.effect.isEmpty || $0.effect == "PreferNoSchedule" }
        return Int64(node.preferNoScheduleTaints.filter { taint in !preferring.contains { $0.tolerates(taint) } }.count)
    }

    func normalize(_ scores: inout [Int64]) { defaultNormalize(&scores, reverse: true) }
}
