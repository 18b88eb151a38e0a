/// upstream's DefaultPreemption PostFilter: when no node fits, find nodes where evicting pods of lower priority
/// would let the pod fit, keep as few of those victims as possible (budget-protected ones reprieved first), and pick
/// the node whose eviction hurts least. The API side (conditions, deletes, events, the nominated node) is the
/// scheduler's (Scheduler+Preemption.swift).
///
/// Not as upstream: PreFilter counts (topology spread, inter-pod affinity) are not updated for removed victims, so
/// a pod blocked only by an affinity rule towards a victim finds no candidate; extenders are not consulted.
struct DefaultPreemption: Sendable {
    let name = "DefaultPreemption"

    struct Candidate: Sendable {
        var node: String
        /// Most important first.
        var victims: [PodInfo]
        var budgetViolations: Int
    }

    enum Outcome: Sendable {
        case nominate(Candidate)
        /// The PostFilter message (`preemption: …`); `clearNomination` when the pod's nominated node no longer holds.
        case failed(message: String, clearNomination: Bool)
    }

    /// upstream's MinCandidateNodesPercentage and MinCandidateNodesAbsolute.
    static let minCandidateNodesPercentage = 10
    static let minCandidateNodesAbsolute = 100

    /// - Parameters:
    ///   - potential: the nodes whose filters rejected the pod for reasons evictions may resolve, in node order.
    ///   - unresolvable: the names of the nodes whose rejection evictions cannot resolve.
    ///   - fits: the profile's filters (with nominated pods) on a node as modified by the dry run.
    func preempt(_ pod: PodInfo, nodeCount: Int, nodes: [NodeInfo], potential: [NodeInfo], unresolvable: Set<String>,
                 budgets: [DisruptionBudget], fits: (NodeInfo) -> Rejection?) -> Outcome {
        if pod.preemptionPolicy == "Never" {
            return .failed(message: "preemption: not eligible due to preemptionPolicy=Never.", clearNomination: false)
        }
        // A previous preemption's victims still terminating on the nominated node: wait for them, do not evict more.
        if !pod.nominatedNodeName.isEmpty, !unresolvable.contains(pod.nominatedNodeName),
           let nominated = nodes.first(where: { $0.name == pod.nominatedNodeName }),
           nominated.pods.values.contains(where: { $0.priority < pod.priority && Self.terminatingByPreemption($0) }) {
            return .failed(message: "preemption: not eligible due to a terminating pod on the nominated node.", clearNomination: false)
        }
        var statuses: [String: [String]] = [:]
        var nonViolating: [Candidate] = [], violating: [Candidate] = []
        if !potential.isEmpty {
            let wanted = min(potential.count, max(potential.count * Self.minCandidateNodesPercentage / 100, Self.minCandidateNodesAbsolute))
            let offset = Int.random(in: 0..<potential.count)
            nodes: for i in 0..<potential.count {
                let node = potential[(offset + i) % potential.count]
                switch Self.selectVictims(pod, on: node, budgets: budgets, fits: fits) {
                case .success(let candidate):
                    if candidate.budgetViolations == 0 { nonViolating.append(candidate) } else { violating.append(candidate) }
                    // upstream stops looking once it has enough candidates, one of them violating no budget.
                    if !nonViolating.isEmpty && nonViolating.count + violating.count >= wanted { break nodes }
                case .failure(let failure):
                    statuses[node.name] = failure.reasons
                }
            }
        }
        if let best = Self.pick(nonViolating + violating) { return .nominate(best) }
        var histogram: [String: Int] = [:]
        for reasons in statuses.values { for reason in reasons { histogram[reason, default: 0] += 1 } }
        let absent = nodeCount - statuses.count
        if absent > 0 { histogram["Preemption is not helpful for scheduling", default: 0] += absent }
        let body = histogram.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
        return .failed(message: "preemption: 0/\(nodeCount) nodes are available: \(body).", clearNomination: true)
    }

    struct NoVictims: Error {
        var reasons: [String]
    }

    /// upstream's SelectVictimsOnNode: without every lower-priority pod the pod must fit; then the pods are put
    /// back, most important first and budget-violating ones before the others, wherever the pod still fits.
    static func selectVictims(_ pod: PodInfo, on node: NodeInfo, budgets: [DisruptionBudget],
                              fits: (NodeInfo) -> Rejection?) -> Result<Candidate, NoVictims> {
        let lower = node.pods.values.filter { $0.priority < pod.priority }
        guard !lower.isEmpty else { return .failure(NoVictims(reasons: ["No preemption victims found for incoming pod"])) }
        var info = node
        for victim in lower { info.remove(victim) }
        if let rejection = fits(info) { return .failure(NoVictims(reasons: rejection.reasons)) }
        let (violatingPods, otherPods) = DisruptionBudget.split(lower.sorted(by: moreImportant), budgets)
        var victims: [PodInfo] = [], violations = 0
        func reprieve(_ victim: PodInfo) -> Bool {
            info.add(victim)
            guard fits(info) != nil else { return true }
            info.remove(victim)
            victims.append(victim)
            return false
        }
        for victim in violatingPods where !reprieve(victim) { violations += 1 }
        for victim in otherPods { _ = reprieve(victim) }
        if !violatingPods.isEmpty && !otherPods.isEmpty { victims.sort(by: moreImportant) }
        guard !victims.isEmpty else { return .failure(NoVictims(reasons: ["No preemption victims found for incoming pod"])) }
        return .success(Candidate(node: node.name, victims: victims, budgetViolations: violations))
    }

    /// upstream's pickOneNodeForPreemption: fewest budget violations, then the lowest highest-priority victim, the
    /// lowest sum of priorities, the fewest victims, the latest start among the highest-priority victims; then the
    /// first.
    static func pick(_ candidates: [Candidate]) -> Candidate? {
        func keepLowest(_ list: [Candidate], _ key: (Candidate) -> Int64) -> [Candidate] {
            guard let lowest = list.map(key).min() else { return list }
            return list.filter { key($0) == lowest }
        }
        var best = keepLowest(candidates) { Int64($0.budgetViolations) }
        best = keepLowest(best) { $0.victims.first?.priority ?? .min }
        // Shifted by 2^31 so that negative priorities add up as smaller, as upstream does.
        best = keepLowest(best) { c in c.victims.reduce(Int64(0)) { $0.saturatingAdd($1.priority.saturatingAdd(Int64(Int32.max) + 1)) } }
        best = keepLowest(best) { Int64($0.victims.count) }
        guard var chosen = best.first else { return nil }
        for candidate in best.dropFirst() where earliestStart(candidate.victims) > earliestStart(chosen.victims) { chosen = candidate }
        return chosen
    }

    /// A pod not started yet counts as starting now: later than any start recorded.
    static func startTime(_ pod: PodInfo) -> String { pod.startTime ?? "~" }

    /// The earliest start among the highest-priority victims (RFC 3339 times in UTC compare as strings).
    static func earliestStart(_ victims: [PodInfo]) -> String {
        guard let top = victims.map(\.priority).max() else { return "~" }
        return victims.filter { $0.priority == top }.map(startTime).min() ?? "~"
    }

    /// upstream's MoreImportantPod: higher priority, then the one that started first.
    static func moreImportant(_ a: PodInfo, _ b: PodInfo) -> Bool {
        a.priority != b.priority ? a.priority > b.priority : startTime(a) < startTime(b)
    }

    static let disruptionTarget = "DisruptionTarget"
    static let preemptionReason = "PreemptionByScheduler"

    /// Being deleted because a preemption chose it (its DisruptionTarget condition says so).
    static func terminatingByPreemption(_ pod: PodInfo) -> Bool {
        pod.isBeingDeleted && (pod.object[path: ["status", "conditions"]]?.array ?? []).contains {
            $0["type"]?.string == disruptionTarget && $0["reason"]?.string == preemptionReason && $0["status"]?.string == "True"
        }
    }
}
