/// A change in the cluster that may let unschedulable pods fit (upstream's ClusterEvent): it names the plugins
/// whose rejections it can undo, and only pods rejected by one of those move back to be tried again.
public struct ClusterEvent: Sendable, Equatable, CustomStringConvertible {
    public var label: String
    public var plugins: Set<String>

    public init(_ label: String, plugins: Set<String>) {
        self.label = label
        self.plugins = plugins
    }

    public var description: String { label }

    /// A pod rejected by no plugin in particular (there were no nodes) moves on any event.
    func concerns(_ rejectedBy: Set<String>) -> Bool {
        rejectedBy.isEmpty || !plugins.isDisjoint(with: rejectedBy)
    }

    static let nodePlugins: Set<String> = ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
                                           "NodeResourcesFit", "VolumeBinding", "PodTopologySpread", "InterPodAffinity"]

    public static let nodeAdd = ClusterEvent("NodeAdd", plugins: nodePlugins)
    /// A bound pod deleted or finished: its resources and ports are free again.
    public static let assignedPodDelete = ClusterEvent("AssignedPodDelete", plugins: ["NodeResourcesFit", "NodePorts", "PodTopologySpread", "InterPodAffinity"])
    /// A pod bound (or relabelled): it changes the counts topology spreading compares.
    public static let assignedPodAdd = ClusterEvent("AssignedPodAdd", plugins: ["PodTopologySpread", "InterPodAffinity"])
    public static let pvcChange = ClusterEvent("PersistentVolumeClaimChange", plugins: ["VolumeBinding"])
    public static let pvChange = ClusterEvent("PersistentVolumeChange", plugins: ["VolumeBinding"])
    public static let storageClassChange = ClusterEvent("StorageClassChange", plugins: ["VolumeBinding"])
    /// upstream's podMaxInUnschedulablePodsDuration flush: every pod, whoever rejected it.
    public static let unschedulableTimeout = ClusterEvent("UnschedulableTimeout", plugins: [])

    /// What a node update changed that scheduling looks at; nil when nothing did (status heartbeats, images, …), so
    /// a kubelet's regular status posts do not wake every unschedulable pod.
    public static func nodeUpdate(old: NodeInfo, new: NodeInfo) -> ClusterEvent? {
        var plugins = Set<String>()
        if old.unschedulable != new.unschedulable { plugins.insert("NodeUnschedulable") }
        if old.taints != new.taints { plugins.insert("TaintToleration") }
        if old.labels != new.labels { plugins.formUnion(["NodeAffinity", "VolumeBinding", "PodTopologySpread", "InterPodAffinity"]) }
        if old.allocatableCPU != new.allocatableCPU || old.allocatableMemory != new.allocatableMemory
            || old.allocatablePods != new.allocatablePods { plugins.insert("NodeResourcesFit") }
        return plugins.isEmpty ? nil : ClusterEvent("NodeUpdate", plugins: plugins)
    }
}
