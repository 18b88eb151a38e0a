/// A pod that names its node fits only there (pending pods rarely do: naming the node usually bypasses scheduling).
struct NodeName: FilterPlugin {
    let name = "NodeName"

    func filter(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Rejection? {
        guard !pod.nodeName.isEmpty, pod.nodeName != node.name else { return nil }
        return Rejection(plugin: name, reasons: ["node(s) didn't match the requested node name"], unresolvable: true)
    }
}
