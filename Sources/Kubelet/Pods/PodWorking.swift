import FoundationEssentials
import KubeAPI

/// What the kubelet asks of the worker running one pod, whichever runtime runs it: host processes (`PodWorker`)
/// or the CRI runtime (`CRIPodWorker`).
protocol PodWorking: Actor {
    nonisolated var pod: KubeletPod { get }
    nonisolated var startedAt: Date { get }
    var state: PodWorkerState { get }
    func terminate(grace: Double?) async
    func detach() async
    func initStatuses() async -> [ContainerStatusSnapshot]
    func statuses() async -> [ContainerStatusSnapshot]
    /// The pod as its source has it now (same UID): only its ephemeral containers are acted on.
    func update(_ latest: KubeletPod) async
    func ephemeralStatuses() async -> [ContainerStatusSnapshot]
    /// The ephemeral containers the worker knows, including those added since it started.
    func ephemeralContainerSpecs() async -> [Container]
    /// The pod-network IPs (empty when the pod uses the host's network).
    func podIPs() async -> [String]
}
