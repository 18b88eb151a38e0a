import KubeAPI
import KubeJSON

/// A node with what the pods on it (bound or assumed) take from it (upstream's framework.NodeInfo). Kept up to date
/// by the cache one pod at a time, so a scheduling cycle reads sums instead of adding up the node's pods.
public struct NodeInfo: Sendable {
    public var name: String
    /// nil while pods name a node the node informer has not shown yet.
    public var node: JSONValue?
    public var labels: [String: String] = [:]
    /// NoSchedule and NoExecute taints, with `node.kubernetes.io/not-ready` added for a node that is not Ready.
    public var taints: [Taint] = []
    public var preferNoScheduleTaints: [Taint] = []
    public var unschedulable = false
    /// nil for a resource the node does not report: not limited (a node without status yet).
    public var allocatableCPU: Int64?
    public var allocatableMemory: Int64?
    public var allocatablePods: Int64?
    public var requested = Resources()
    public var nonZeroRequested = Resources()
    public var usedPorts: [HostPort: Int] = [:]
    /// The pods on the node by key: the scheduler's index of pods by spec.nodeName.
    public var pods: [String: PodInfo] = [:]
    /// The keys of those pods with required anti-affinity, which every incoming pod must respect: kept apart so
    /// that checking them does not walk every pod.
    public var antiAffinityPods: Set<String> = []
    /// The keys of pods whose affinity terms score every incoming pod: InterPodAffinity's score visits only these
    /// when the incoming pod has no preferred terms of its own.
    public var affinityPods: Set<String> = []

    init(name: String) { self.name = name }

    mutating func setNode(_ json: JSONValue) {
        node = json
        labels = json.metaLabels
        unschedulable = json[path: ["spec", "unschedulable"]]?.bool ?? false
        let all = (json[path: ["spec", "taints"]]?.array ?? []).map(Taint.init)
        taints = all.filter { $0.effect == "NoSchedule" || $0.effect == "NoExecute" }
        preferNoScheduleTaints = all.filter { $0.effect == "PreferNoSchedule" }
        // Without a node lifecycle controller a node that never became Ready would take pods; upstream's controller
        // taints it not-ready, and this does the same for the scheduler's eyes (once, if the taint is there too).
        if !Self.isReady(json), !taints.contains(where: { $0.key == Self.notReadyTaint }) {
            taints.append(Taint(key: Self.notReadyTaint, value: "", effect: "NoSchedule"))
        }
        let allocatable = json[path: ["status", "allocatable"]]
        allocatableCPU = Resources.millis(allocatable?["cpu"])
        allocatableMemory = Resources.units(allocatable?["memory"])
        allocatablePods = Resources.units(allocatable?["pods"])
    }

    static let notReadyTaint = "node.kubernetes.io/not-ready"

    static func isReady(_ node: JSONValue) -> Bool {
        node[path: ["status", "conditions"]]?.array?.contains { $0["type"] == "Ready" && $0["status"] == "True" } == true
    }

    mutating func add(_ pod: PodInfo) {
        if let old = pods[pod.key] { remove(old) }
        pods[pod.key] = pod
        requested = requested + pod.requests
        nonZeroRequested = nonZeroRequested + pod.nonZeroRequests
        for port in pod.hostPorts { usedPorts[port, default: 0] += 1 }
        if !pod.requiredAntiAffinity.isEmpty { antiAffinityPods.insert(pod.key) }
        if pod.hasScoredAffinity { affinityPods.insert(pod.key) }
    }

    mutating func remove(_ pod: PodInfo) {
        guard let stored = pods.removeValue(forKey: pod.key) else { return }
        antiAffinityPods.remove(pod.key)
        affinityPods.remove(pod.key)
        requested = requested - stored.requests
        nonZeroRequested = nonZeroRequested - stored.nonZeroRequests
        for port in stored.hostPorts {
            let left = (usedPorts[port] ?? 1) - 1
            usedPorts[port] = left > 0 ? left : nil
        }
    }
}
