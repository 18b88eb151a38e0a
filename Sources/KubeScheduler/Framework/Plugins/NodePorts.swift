/// A host port can be bound once per node (per protocol, and per address unless one side binds every address).
struct NodePorts: FilterPlugin {
    let name = "NodePorts"

    func filter(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Rejection? {
        guard !pod.hostPorts.isEmpty, !node.usedPorts.isEmpty else { return nil }
        let taken = pod.hostPorts.contains { wanted in node.usedPorts.keys.contains { $0.conflicts(with: wanted) } }
        guard taken else { return nil }
        return Rejection(plugin: name, reasons: ["node(s) didn't have free ports for the requested pod ports"], unresolvable: false)
    }
}
