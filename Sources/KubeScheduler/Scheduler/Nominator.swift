import Synchronization

/// Pending pods nominated to a node by a preemption (upstream's nominator): until they bind, the room their
/// victims left on that node is theirs, so cycles of pods of lower priority count them as placed there. Fed by
/// this scheduler's own preemptions at once and by status.nominatedNodeName from the pod informer.
final class Nominator: Sendable {
    private let pods = Mutex<[String: PodInfo]>([:])

    func nominate(_ pod: PodInfo, to node: String) {
        var nominated = pod
        nominated.nominatedNodeName = node
        pods.withLock { $0[pod.key] = nominated }
    }

    /// A pending pod as the informer shows it: a nomination it carries is recorded; one it lacks is not dropped,
    /// since the status write naming the node may simply not have come back yet.
    func observe(_ pod: PodInfo) {
        guard !pod.nominatedNodeName.isEmpty else { return }
        pods.withLock { $0[pod.key] = pod }
    }

    func remove(key: String) { _ = pods.withLock { $0.removeValue(forKey: key) } }

    /// Node name → the pods nominated there.
    func byNode() -> [String: [PodInfo]] {
        pods.withLock { pods in
            var out: [String: [PodInfo]] = [:]
            for pod in pods.values { out[pod.nominatedNodeName, default: []].append(pod) }
            return out
        }
    }

    /// Removes and returns the pods nominated to `node` with a priority below `priority`: a new preemption there
    /// takes their room, so they must look again (upstream's getLowerPriorityNominatedPods).
    func takeLowerPriority(on node: String, than priority: Int64) -> [PodInfo] {
        pods.withLock { pods in
            let lower = pods.values.filter { $0.nominatedNodeName == node && $0.priority < priority }
            for pod in lower { pods[pod.key] = nil }
            return lower
        }
    }
}
