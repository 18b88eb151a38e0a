/// Why a node cannot take a pod, in the words upstream's plugins use (they end up counted in the FitError message).
public struct Rejection: Sendable, Equatable {
    public var plugin: String
    public var reasons: [String]
    /// upstream's UnschedulableAndUnresolvable: evicting pods from the node would not help, so preemption says
    /// "Preemption is not helpful for scheduling" about it.
    public var unresolvable: Bool

    public init(plugin: String, reasons: [String], unresolvable: Bool) {
        self.plugin = plugin
        self.reasons = reasons
        self.unresolvable = unresolvable
    }
}

/// What the PreFilter plugins found out about a pod once per cycle, read by the filters, scores and the binder.
public struct CycleState: Sendable {
    /// Claims of a WaitForFirstConsumer class that the binder marks with the chosen node before binding.
    public var delayedClaims: [(namespace: String, name: String)] = []
    /// Bound claims' volumes, whose node affinity each node must satisfy.
    public var boundVolumes: [NodeSelector] = []
    /// The pod's DoNotSchedule topology spread constraints with the matching pods counted per domain.
    var spreadConstraints: [PodTopologySpread.Constraint] = []
    /// Inter-pod affinity counts; nil when neither the pod nor any placed pod has required terms.
    var podAffinity: InterPodAffinity.Counts?
    /// PodTopologySpread's scoring counts; nil when the pod has no ScheduleAnyway (or system default) constraints.
    var spreadScoring: PodTopologySpread.ScoringState?
    /// InterPodAffinity's weights per topology domain; nil or empty when no term on either side applies.
    var affinityScores: InterPodAffinity.ScoreMap?
    public init() {}
}

/// A PreFilter failure stops the cycle before any node is looked at.
public struct PreFilterFailure: Error, Sendable {
    public var plugin: String
    public var message: String
}

public protocol PreFilterPlugin: Sendable {
    var name: String { get }
    func preFilter(_ pod: PodInfo, nodes: [NodeInfo], _ state: inout CycleState) -> PreFilterFailure?
}

public protocol FilterPlugin: Sendable {
    var name: String { get }
    func filter(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Rejection?
}

public protocol ScorePlugin: Sendable {
    var name: String { get }
    /// A raw score for one node; `normalize` then brings all of them into 0...100 (upstream's MaxNodeScore).
    func score(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Int64
    func normalize(_ scores: inout [Int64])
    /// The same, for plugins whose normalization depends on what PreScore found (`nodes` are the scored ones).
    func normalize(_ scores: inout [Int64], nodes: [NodeInfo], _ state: CycleState)
}

extension ScorePlugin {
    public func normalize(_ scores: inout [Int64]) {}
    public func normalize(_ scores: inout [Int64], nodes: [NodeInfo], _ state: CycleState) { normalize(&scores) }
}

/// Counting done once per cycle before the feasible nodes are scored (upstream's PreScore): `feasible` are the nodes
/// to be scored, `all` every node (pods on infeasible nodes still count towards spreading and affinity).
public protocol PreScorePlugin: Sendable {
    var name: String { get }
    func preScore(_ pod: PodInfo, feasible: [NodeInfo], all: [NodeInfo], _ state: inout CycleState)
}

public let maxNodeScore: Int64 = 100

/// upstream's helper.DefaultNormalizeScore: scale to 0...100 by the largest, optionally reversed (fewer is better).
func defaultNormalize(_ scores: inout [Int64], reverse: Bool) {
    let highest = scores.max() ?? 0
    if highest == 0 {
        if reverse { for i in scores.indices { scores[i] = maxNodeScore } }
        return
    }
    for i in scores.indices {
        let scaled = maxNodeScore.saturatingMultiply(scores[i]) / highest
        scores[i] = reverse ? maxNodeScore - scaled : scaled
    }
}
