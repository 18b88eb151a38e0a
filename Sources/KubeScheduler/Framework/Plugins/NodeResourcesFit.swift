/// The pod's requests must fit in what the node has left of its allocatable cpu, memory and pod count. As a score
/// it is upstream's default LeastAllocated strategy: the more a node would have left, the better.
struct NodeResourcesFit: FilterPlugin, ScorePlugin {
    let name = "NodeResourcesFit"

    func filter(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Rejection? {
        var reasons: [String] = []
        if let pods = node.allocatablePods, node.requested.pods.saturatingAdd(1) > pods { reasons.append("Too many pods") }
        // A pod that asks for neither cpu nor memory only needs a pod slot (upstream skips the rest).
        if pod.requests.milliCPU > 0 || pod.requests.memory > 0 {
            if let cpu = node.allocatableCPU, pod.requests.milliCPU > 0,
               node.requested.milliCPU.saturatingAdd(pod.requests.milliCPU) > cpu { reasons.append("Insufficient cpu") }
            if let memory = node.allocatableMemory, pod.requests.memory > 0,
               node.requested.memory.saturatingAdd(pod.requests.memory) > memory { reasons.append("Insufficient memory") }
        }
        return reasons.isEmpty ? nil : Rejection(plugin: name, reasons: reasons, unresolvable: false)
    }

    func score(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Int64 {
        var total: Int64 = 0, weights: Int64 = 0
        for (allocatable, requested) in Self.pairs(pod, node) {
            weights += 1
            guard allocatable > 0, requested <= allocatable else { continue }
            total = total.saturatingAdd((allocatable - requested).saturatingMultiply(maxNodeScore) / allocatable)
        }
        return weights == 0 ? 0 : total / weights
    }

    /// (allocatable, requested after placing the pod) for cpu and memory, counting request-less containers at
    /// upstream's non-zero defaults; a resource the node does not report is left out.
    static func pairs(_ pod: PodInfo, _ node: NodeInfo) -> [(Int64, Int64)] {
        var out: [(Int64, Int64)] = []
        if let cpu = node.allocatableCPU { out.append((cpu, node.nonZeroRequested.milliCPU.saturatingAdd(pod.nonZeroRequests.milliCPU))) }
        if let memory = node.allocatableMemory { out.append((memory, node.nonZeroRequested.memory.saturatingAdd(pod.nonZeroRequests.memory))) }
        return out
    }
}
