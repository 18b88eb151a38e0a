import FoundationEssentials
import KubeAPI
import Logging

/// The lifecycle of one pod (one UID): syncing → terminating → terminated.
public enum PodWorkerState: String, Sendable {
    case syncing, terminating, terminated
}

/// Runs one pod: prepares its volumes, runs init containers to completion in order, then supervises its
/// containers until the pod is terminated.
actor PodWorker: PodWorking {
    let pod: KubeletPod
    private let context: RuntimeContext
    private let logger: Logger
    private(set) var state: PodWorkerState = .syncing
    private var initSupervisors: [ContainerSupervisor] = []
    private var supervisors: [ContainerSupervisor] = []
    private var task: Task<Void, Never>?
    /// `kubectl debug`'s containers: not run by host processes (see `ephemeralStatuses`).
    private var ephemeralContainers: [EphemeralContainer]
    /// True until the pod's volumes are set up: its containers are waiting in ContainerCreating, as upstream shows them.
    private var mountingVolumes = true
    let startedAt = Date()

    init(pod: KubeletPod, context: RuntimeContext) {
        self.pod = pod
        self.context = context
        self.ephemeralContainers = pod.pod.spec.ephemeralContainers ?? []
        var logger = context.logger
        logger[metadataKey: "pod"] = "\(pod.namespace)/\(pod.name)"
        self.logger = logger
    }

    /// Why: and what works instead — the processes are the host's, which `kubectl debug node/…` reaches.
    private var ephemeralRefusal: String {
        "ephemeral containers need a container runtime: this pod runs as host processes (runtimeClassName host-process, or the kubelet has no --container-runtime-endpoint); kubectl debug node/\(context.settings.nodeName) gives a shell beside them on the host"
    }

    /// A host process has no image to run a debug container from: each ephemeral container added stays waiting, with
    /// a Failed event saying why, rather than silently never starting.
    func update(_ latest: KubeletPod) async {
        guard latest.uid == pod.uid, state == .syncing else { return }
        let known = Set(ephemeralContainers.map(\.container.name))
        for ephemeral in latest.pod.spec.ephemeralContainers ?? [] where !known.contains(ephemeral.container.name) {
            ephemeralContainers.append(ephemeral)
            logger.warning("ephemeral container not started: \(ephemeralRefusal)", metadata: ["container": "\(ephemeral.container.name)"])
            context.events?.emit(PodEvent(podUID: pod.uid, container: ephemeral.container.name, type: "Warning", reason: "Failed",
                                          message: "Error: \(ephemeralRefusal)", ephemeralContainer: true))
        }
    }

    func ephemeralStatuses() async -> [ContainerStatusSnapshot] {
        ephemeralContainers.map {
            ContainerStatusSnapshot(name: $0.container.name, state: .waiting(reason: "CreateContainerError", message: ephemeralRefusal),
                                    restartCount: 0, ready: false, pid: nil, containerID: nil, image: $0.container.image ?? "",
                                    lastTermination: nil, started: false)
        }
    }

    func ephemeralContainerSpecs() async -> [Container] { ephemeralContainers.map(\.container) }

    func start(adopting checkpoints: [String: ContainerCheckpoint]) {
        guard task == nil else { return }
        task = Task { await self.run(adopting: checkpoints) }
    }

    private func run(adopting checkpoints: [String: ContainerCheckpoint]) async {
        logger.info(pod.isStatic ? "SyncPod: starting static pod" : "SyncPod: starting pod",
                    metadata: ["uid": "\(pod.uid)", "source": "\(pod.isStatic ? pod.sourcePath : "api")"])
        guard await mountVolumes() else { return }
        // Init containers run only when no main container is being re-adopted.
        let adoptingMain = pod.pod.spec.containers.contains { checkpoints[$0.name] != nil }
        if !adoptingMain {
            for container in pod.pod.spec.initContainers ?? [] {
                let supervisor = ContainerSupervisor(container: container, pod: pod, context: context, isInit: true)
                initSupervisors.append(supervisor)
                await supervisor.start(adopting: checkpoints[container.name])
                let status = await supervisor.waitUntilDone()
                if Task.isCancelled || state != .syncing { return }
                if status != .exited(0) {
                    logger.error("init container failed and the restart policy is Never; the pod will not start",
                                 metadata: ["container": "\(container.name)"])
                    return
                }
            }
        }
        for container in pod.pod.spec.containers {
            let supervisor = ContainerSupervisor(container: container, pod: pod, context: context, isInit: false)
            supervisors.append(supervisor)
            await supervisor.start(adopting: checkpoints[container.name])
        }
    }

    /// Sets up the pod's volumes; false when the pod stops meanwhile.
    private func mountVolumes() async -> Bool {
        guard await context.mountVolumes(of: pod, logger: logger, isSyncing: { await self.state == .syncing }) else { return false }
        mountingVolumes = false
        return true
    }

    /// Stops every container (SIGTERM, then SIGKILL after the grace period) and forgets the pod's checkpoints.
    func terminate(grace: Double? = nil) async {
        guard state == .syncing else { return }
        state = .terminating
        task?.cancel()
        let period = grace ?? Double(pod.pod.spec.terminationGracePeriodSeconds ?? 30)
        logger.info(pod.isStatic ? "Killing static pod" : "Killing pod", metadata: ["uid": "\(pod.uid)", "gracePeriod": "\(Int(period))"])
        await withTaskGroup(of: Void.self) { group in
            for supervisor in initSupervisors + supervisors {
                group.addTask { await supervisor.stop(grace: period) }
            }
        }
        await context.volumes.tearDown(podUID: pod.uid)
        context.checkpoints.removePod(pod.uid)
        state = .terminated
    }

    /// Stops supervising; processes keep running for the next kubelet to re-adopt.
    func detach() async {
        task?.cancel()
        for supervisor in initSupervisors + supervisors { await supervisor.detach() }
    }

    /// Host processes share the host's network.
    func podIPs() async -> [String] { [] }

    func initStatuses() async -> [ContainerStatusSnapshot] {
        if mountingVolumes { return Self.creating(pod.pod.spec.initContainers ?? []) }
        var out: [ContainerStatusSnapshot] = []
        for supervisor in initSupervisors { out.append(await supervisor.snapshot) }
        return out
    }

    func statuses() async -> [ContainerStatusSnapshot] {
        if mountingVolumes { return Self.creating(pod.pod.spec.containers) }
        var out: [ContainerStatusSnapshot] = []
        for supervisor in supervisors { out.append(await supervisor.snapshot) }
        return out
    }

    static func creating(_ containers: [Container]) -> [ContainerStatusSnapshot] {
        containers.map {
            ContainerStatusSnapshot(name: $0.name, state: .waiting(reason: "ContainerCreating", message: nil), restartCount: 0, ready: false,
                                    pid: nil, containerID: nil, image: $0.image ?? "", lastTermination: nil, started: false)
        }
    }
}
