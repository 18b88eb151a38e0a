/// A cordoned node (spec.unschedulable) takes only pods that tolerate `node.kubernetes.io/unschedulable:NoSchedule`.
struct NodeUnschedulable: FilterPlugin {
    let name = "NodeUnschedulable"
    static let taint = Taint(key: "node.kubernetes.io/unschedulable", value: "", effect: "NoSchedule")

    func filter(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Rejection? {
        guard node.unschedulable, !pod.tolerations.contains(where: { $0.tolerates(Self.taint) }) else { return nil }
        return Rejection(plugin: name, reasons: ["node(s) were unschedulable"], unresolvable: true)
    }
}
