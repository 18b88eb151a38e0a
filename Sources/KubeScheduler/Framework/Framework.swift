import KubeJSON

/// One scheduling profile (upstream's framework for a `profiles[]` entry): the plugins at each extension point, in
/// upstream's order, with the score weights the configuration gives.
public struct Framework: Sendable {
    public var schedulerName: String
    var preFilters: [any PreFilterPlugin]
    var filters: [any FilterPlugin]
    var scorers: [(plugin: any ScorePlugin, weight: Int64)]
    /// The PostFilter; nil when the profile disables it (then a failure message has no `preemption:` part).
    var preemption: DefaultPreemption?

    init(schedulerName: String, preFilters: [any PreFilterPlugin], filters: [any FilterPlugin],
         scorers: [(plugin: any ScorePlugin, weight: Int64)], preemption: DefaultPreemption? = nil) {
        self.schedulerName = schedulerName
        self.preFilters = preFilters
        self.filters = filters
        self.scorers = scorers
        self.preemption = preemption
    }

    public enum Decision: Sendable {
        case node(String, CycleState)
        /// `clearNomination`: the pod's status.nominatedNodeName is to be cleared (preemption found nothing).
        case unschedulable(FitError, clearNomination: Bool = false)
        /// No node fits, but evicting the victims from the node makes room: nominate the pod there.
        case preempt(FitError, node: String, victims: [PodInfo])
    }

    /// A scheduling cycle for one pod over the nodes as they are now: PreFilter, Filter on every node (the first
    /// plugin that rejects a node gives its reasons, as upstream), Score the feasible ones and take the best; when
    /// none is feasible, PostFilter (preemption). `nominated` are the pods nominated to each node by earlier
    /// preemptions: those of at least this pod's priority count as placed there.
    public func schedule(_ pod: PodInfo, nodes: [NodeInfo], nominated: [String: [PodInfo]] = [:],
                         budgets: () -> [JSONValue] = { [] }) -> Decision {
        var state = CycleState()
        guard !nodes.isEmpty else { return .unschedulable(FitError(nodeCount: 0)) }
        for plugin in preFilters {
            if let failure = plugin.preFilter(pod, nodes: nodes, &state) {
                var error = FitError(nodeCount: nodes.count, preFilterMessage: failure.message)
                error.plugins.insert(failure.plugin)
                error.unresolvableNodes = nodes.count
                return postFilter(pod, nodes: nodes, potential: [], unresolvable: Set(nodes.map(\.name)), error: error,
                                  state: state, nominated: nominated, budgets: budgets)
            }
        }
        // upstream tries the node a preemption nominated first, and takes it if the pod fits there now.
        if !pod.nominatedNodeName.isEmpty, let node = nodes.first(where: { $0.name == pod.nominatedNodeName }),
           runFilters(pod, node, state, nominated: nominated) == nil {
            return .node(node.name, state)
        }
        var feasible: [NodeInfo] = [], potential: [NodeInfo] = []
        var unresolvable = Set<String>()
        var error = FitError(nodeCount: nodes.count)
        for node in nodes {
            if let rejection = runFilters(pod, node, state, nominated: nominated) {
                error.add(rejection)
                if rejection.unresolvable { unresolvable.insert(node.name) } else { potential.append(node) }
            } else {
                feasible.append(node)
            }
        }
        guard !feasible.isEmpty else {
            return postFilter(pod, nodes: nodes, potential: potential, unresolvable: unresolvable, error: error, state: state,
                              nominated: nominated, budgets: budgets)
        }
        if feasible.count == 1 { return .node(feasible[0].name, state) }
        for (plugin, _) in scorers { (plugin as? any PreScorePlugin)?.preScore(pod, feasible: feasible, all: nodes, &state) }
        var totals = [Int64](repeating: 0, count: feasible.count)
        for (plugin, weight) in scorers {
            var scores = feasible.map { plugin.score(pod, $0, state) }
            plugin.normalize(&scores, nodes: feasible, state)
            for i in totals.indices { totals[i] = totals[i].saturatingAdd(scores[i].saturatingMultiply(weight)) }
        }
        return .node(feasible[Self.selectHost(totals)].name, state)
    }

    /// The filters on one node, with the nominated pods that outrank or equal this one added to it (upstream's
    /// RunFilterPluginsWithNominatedPods), so a preemptor's room is not taken by a lower-priority pod meanwhile.
    func runFilters(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState, nominated: [String: [PodInfo]]) -> Rejection? {
        let others = nominated[node.name]?.filter { $0.key != pod.key && $0.priority >= pod.priority } ?? []
        guard !others.isEmpty else { return filters.lazy.compactMap { $0.filter(pod, node, state) }.first }
        var withNominated = node
        for var other in others {
            other.nodeName = node.name
            withNominated.add(other)
        }
        return filters.lazy.compactMap { $0.filter(pod, withNominated, state) }.first
    }

    private func postFilter(_ pod: PodInfo, nodes: [NodeInfo], potential: [NodeInfo], unresolvable: Set<String>, error: FitError,
                            state: CycleState, nominated: [String: [PodInfo]], budgets: () -> [JSONValue]) -> Decision {
        guard let preemption else { return .unschedulable(error) }
        var error = error
        let outcome = preemption.preempt(pod, nodeCount: nodes.count, nodes: nodes, potential: potential, unresolvable: unresolvable,
                                         budgets: potential.isEmpty ? [] : budgets().map(DisruptionBudget.init),
                                         fits: { runFilters(pod, $0, state, nominated: nominated) })
        switch outcome {
        case .nominate(let candidate):
            return .preempt(error, node: candidate.node, victims: candidate.victims)
        case .failed(let message, let clear):
            error.postFilterMessage = message
            return .unschedulable(error, clearNomination: clear && !pod.nominatedNodeName.isEmpty)
        }
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
