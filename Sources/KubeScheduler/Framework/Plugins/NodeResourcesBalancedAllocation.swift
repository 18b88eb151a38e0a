/// Prefers the node where cpu and memory would be used in the most similar proportions (upstream: one minus the
/// standard deviation of the requested fractions), so neither resource is exhausted while the other idles.
struct NodeResourcesBalancedAllocation: ScorePlugin {
    let name = "NodeResourcesBalancedAllocation"

    func score(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Int64 {
        let fractions = NodeResourcesFit.pairs(pod, node).map { allocatable, requested in
            allocatable > 0 ? min(Double(requested) / Double(allocatable), 1) : 1
        }
        guard fractions.count >= 2 else { return maxNodeScore }
        let mean = fractions.reduce(0, +) / Double(fractions.count)
        let variance = fractions.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(fractions.count)
        return Int64(clampingDouble: ((1 - variance.squareRoot()) * Double(maxNodeScore)).rounded(.down))
    }
}
