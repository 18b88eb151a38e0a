/// Why no node could take a pod: upstream's FitError with its Diagnosis, worded exactly as upstream's message
/// (`0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {…}. preemption: …`).
public struct FitError: Error, Sendable, Equatable {
    public var nodeCount: Int
    /// A PreFilter plugin's message (the cycle stopped before the nodes).
    public var preFilterMessage: String?
    /// How many nodes gave each reason.
    public var reasons: [String: Int] = [:]
    /// How many nodes rejected the pod for reasons evicting pods would not change.
    public var unresolvableNodes = 0
    /// The plugins that rejected the pod: only cluster events these care about bring it back early.
    public var plugins: Set<String> = []
    /// What the PostFilter (preemption) said, appended as upstream does; nil when it said nothing (it nominated a
    /// node, or is disabled).
    public var postFilterMessage: String?

    public init(nodeCount: Int, preFilterMessage: String? = nil) {
        self.nodeCount = nodeCount
        self.preFilterMessage = preFilterMessage
    }

    mutating func add(_ rejection: Rejection) {
        plugins.insert(rejection.plugin)
        for reason in rejection.reasons { reasons[reason, default: 0] += 1 }
        if rejection.unresolvable { unresolvableNodes += 1 }
    }

    public var message: String {
        guard nodeCount > 0 else { return "no nodes available to schedule pods" }
        let body = preFilterMessage ?? reasons.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
        let text = "0/\(nodeCount) nodes are available: " + body + "."
        return postFilterMessage.map { text + " " + $0 } ?? text
    }
}
