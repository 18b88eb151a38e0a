import KubeJSON
import Synchronization

/// The scheduler's view of nodes and of the pods placed on them (upstream's internal cache): fed by the pod and node
/// informers one change at a time, plus the pods this scheduler has assumed onto a node while their binding is on
/// its way. An assumed pod counts at once, so the next cycle does not put a second pod into the room the first took;
/// when the watch shows it bound the assumption becomes the real thing, and a failed binding forgets it.
public final class SchedulerCache: Sendable {
    private struct PodState {
        var info: PodInfo
        var assumed: Bool
    }

    private struct State {
        var nodes: [String: NodeInfo] = [:]
        /// Node names with a node object, sorted: the order a cycle visits nodes in.
        var nodeOrder: [String] = []
        var pods: [String: PodState] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    // MARK: Nodes

    public func addOrUpdateNode(_ json: JSONValue) {
        let name = json[path: ["metadata", "name"]]?.string ?? ""
        guard !name.isEmpty else { return }
        state.withLock { s in
            let isNew = s.nodes[name]?.node == nil
            s.nodes[name, default: NodeInfo(name: name)].setNode(json)
            if isNew { Self.insertSorted(&s.nodeOrder, name) }
        }
    }

    public func removeNode(_ name: String) {
        state.withLock { s in
            // Pods may still name the node until their own deletes arrive: keep their accounting, drop the node.
            if var info = s.nodes[name] {
                info.node = nil
                s.nodes[name] = info.pods.isEmpty ? nil : info
            }
            if let i = s.nodeOrder.firstIndex(of: name) { s.nodeOrder.remove(at: i) }
        }
    }

    private static func insertSorted(_ order: inout [String], _ name: String) {
        var low = 0, high = order.count
        while low < high {
            let mid = (low + high) / 2
            if order[mid] < name { low = mid + 1 } else { high = mid }
        }
        order.insert(name, at: low)
    }

    // MARK: Pods

    /// A bound pod the informer showed (added or updated); a terminal pod no longer takes room.
    public func addOrUpdatePod(_ pod: PodInfo) {
        guard !pod.nodeName.isEmpty else { return }
        if pod.isTerminal { return removePod(key: pod.key) }
        state.withLock { s in Self.place(&s, pod, assumed: false) }
    }

    public func removePod(key: String) {
        state.withLock { s in
            guard let old = s.pods.removeValue(forKey: key) else { return }
            Self.unplace(&s, old.info)
        }
    }

    /// Counts `pod` (with its chosen nodeName) on its node before the API has it.
    public func assume(_ pod: PodInfo) {
        state.withLock { s in Self.place(&s, pod, assumed: true) }
    }

    /// Undoes `assume` after the binding failed, unless the watch has meanwhile shown the pod bound.
    public func forget(key: String) {
        state.withLock { s in
            guard let old = s.pods[key], old.assumed else { return }
            s.pods[key] = nil
            Self.unplace(&s, old.info)
        }
    }

    public func isAssumed(_ key: String) -> Bool { state.withLock { $0.pods[key]?.assumed ?? false } }

    private static func place(_ s: inout State, _ pod: PodInfo, assumed: Bool) {
        if let old = s.pods[pod.key] {
            // The watch confirming an assumption: it stays what it was until then only if it is the same pod.
            if !assumed || old.assumed { unplace(&s, old.info) } else { return }
        }
        s.pods[pod.key] = PodState(info: pod, assumed: assumed)
        // Taken out of the table while it changes, so that its pod table is uniquely referenced and grows in place
        // (measured: a mutation through the table's subscript copied the node's whole pod table on every pod event,
        // 10,000 PodInfo copies per status update on a busy node).
        var info = s.nodes.removeValue(forKey: pod.nodeName) ?? NodeInfo(name: pod.nodeName)
        info.add(pod)
        s.nodes[pod.nodeName] = info
    }

    private static func unplace(_ s: inout State, _ pod: PodInfo) {
        guard var info = s.nodes.removeValue(forKey: pod.nodeName) else { return }
        info.remove(pod)
        if info.node != nil || !info.pods.isEmpty { s.nodes[pod.nodeName] = info }
    }

    // MARK: Reads

    /// The nodes a cycle filters, in name order. Copying is cheap: a NodeInfo's collections are shared until written.
    public func snapshot() -> [NodeInfo] {
        state.withLock { s in s.nodeOrder.compactMap { s.nodes[$0] } }
    }

    public func node(_ name: String) -> NodeInfo? { state.withLock { $0.nodes[name] } }

    public var nodeCount: Int { state.withLock { $0.nodeOrder.count } }
    public var podCount: Int { state.withLock { $0.pods.count } }
}
