/// One scheduling profile (upstream's framework for a `profiles[]` entry): the plugins at each extension point, in
/// upstream's order, with the score weights the configuration gives.
public struct Framework: Sendable {
    public var schedulerName: String
    var preFilters: [any PreFilterPlugin]
    var filters: [any FilterPlugin]
    var scorers: [(plugin: any ScorePlugin, weight: Int64)]

    init(schedulerName: String, preFilters: [any PreFilterPlugin], filters: [any FilterPlugin],
         scorers: [(plugin: any ScorePlugin, weight: Int64)]) {
        self.schedulerName = schedulerName
        self.preFilters = preFilters
        self.filters = filters
        self.scorers = scorers
    }

    public enum Decision: Sendable {
        case node(String, CycleState)
        case unschedulable(FitError)
    }

    /// A scheduling cycle for one pod over the nodes as they are now: PreFilter, Filter on every node (the first
    /// plugin that rejects a node gives its reasons, as upstream), Score the feasible ones and take the best.
    public func schedule(_ pod: PodInfo, nodes: [NodeInfo]) -> Decision {
        var state = CycleState()
        guard !nodes.isEmpty else { return .unschedulable(FitError(nodeCount: 0)) }
        for plugin in preFilters {
            if let failure = plugin.preFilter(pod, nodes: nodes, &state) {
                var error = FitError(nodeCount: nodes.count, preFilterMessage: failure.message)
                error.plugins.insert(failure.plugin)
                error.unresolvableNodes = nodes.count
                return .unschedulable(error)
            }
        }
        var feasible: [NodeInfo] = []
        var error = FitError(nodeCount: nodes.count)
        for node in nodes {
            if let rejection = filters.lazy.compactMap({ $0.filter(pod, node, state) }).first {
                error.add(rejection)
            } else {
                feasible.append(node)
            }
        }
        guard !feasible.isEmpty else { return .unschedulable(error) }
        if feasible.count == 1 { return .node(feasible[0].name, state) }
        var totals = [Int64](repeating: 0, count: feasible.count)
        for (plugin, weight) in scorers {
            var scores = feasible.map { plugin.score(pod, $0, state) }
            plugin.normalize(&scores)
            for i in totals.indices { totals[i] = totals[i].saturatingAdd(scores[i].saturatingMultiply(weight)) }
        }
        return .node(feasible[Self.selectHost(totals)].name, state)
    }

    /// The index of a highest score, a random one among equals (upstream's reservoir sampling), so equal nodes
    /// share the load instead of the first by name taking everything.
    static func selectHost(_ totals: [Int64]) -> Int {
        var best = 0, seen = 0
        for (i, score) in totals.enumerated() {
            if score > totals[best] {
                best = i
                seen = 1
            } else if score == totals[best] {
                seen += 1
                if Int.random(in: 0..<seen) == 0 { best = i }
            }
        }
        return best
    }
}
