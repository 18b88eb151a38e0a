import CRIClient
import FoundationEssentials
import KubeAPI
import Logging

/// A pod sandbox the kubelet finds in the runtime after a restart, with its containers by name.
struct AdoptedSandbox: Sendable {
    var id: String
    var ready: Bool
    var attempt: UInt32
    var containers: [String: AdoptedContainer]
}

/// Runs one pod through the CRI runtime: its sandbox (RunPodSandbox: namespaces, network through the runtime's
/// CNI, hostname, DNS, port mappings), then init containers in order, then the containers, each supervised by a
/// `CRIContainerSupervisor`. Terminating stops the containers with the grace period, then stops and removes the
/// sandbox (which releases its IP).
actor CRIPodWorker: PodWorking {
    let pod: KubeletPod
    private let context: RuntimeContext
    private let cri: KubeGenericRuntime
    private let logger: Logger
    private(set) var state: PodWorkerState = .syncing
    private var initSupervisors: [CRIContainerSupervisor] = []
    private var supervisors: [CRIContainerSupervisor] = []
    /// `kubectl debug`'s containers, started once the pod's containers have been, in the order they were added.
    private var ephemeralSupervisors: [CRIContainerSupervisor] = []
    private var ephemeralContainers: [EphemeralContainer]
    /// Containers found in the runtime at start (a kubelet restart), by name, for the ephemeral ones added later.
    private var adoptedContainers: [String: AdoptedContainer] = [:]
    private var containersStarted = false
    private var task: Task<Void, Never>?
    private var sandboxID: String?
    private var sandboxConfig = Runtime_V1_PodSandboxConfig()
    private var ips: [String] = []
    let startedAt = Date()

    /// The RuntimeClass handler (`runtime_handler` of RunPodSandbox); empty for the runtime's default.
    private let handler: String

    init(pod: KubeletPod, context: RuntimeContext, cri: KubeGenericRuntime, handler: String = "") {
        self.pod = pod
        self.handler = handler
        self.context = context
        self.cri = cri
        self.ephemeralContainers = pod.pod.spec.ephemeralContainers ?? []
        var logger = context.logger
        logger[metadataKey: "pod"] = "\(pod.namespace)/\(pod.name)"
        self.logger = logger
    }

    func start(adopting sandbox: AdoptedSandbox?) {
        guard task == nil else { return }
        task = Task { await self.run(adopting: sandbox) }
    }

    private func event(_ type: String, _ reason: String, _ message: String) {
        context.events?.emit(PodEvent(podUID: pod.uid, container: "", type: type, reason: reason, message: message))
    }

    private var sandboxInfo: (id: String, config: Runtime_V1_PodSandboxConfig, ips: [String])? {
        sandboxID.map { ($0, sandboxConfig, ips) }
    }

    private func run(adopting adopted: AdoptedSandbox?) async {
        logger.info("SyncPod: starting pod in the container runtime", metadata: ["uid": "\(pod.uid)", "runtime": "\(cri.runtimeName)"])
        guard await context.mountVolumes(of: pod, logger: logger, isSyncing: { await self.isSyncing }) else { return }
        var containers: [String: AdoptedContainer] = [:]
        if let adopted, adopted.ready {
            sandboxID = adopted.id
            sandboxConfig = SandboxConfigBuilder.build(pod, attempt: adopted.attempt, podLogsDir: context.settings.podLogsDir)
            containers = adopted.containers
            await refreshIPs()
            logger.info("re-attached to the runtime's pod sandbox", metadata: ["podSandboxID": "\(adopted.id)"])
        } else {
            if let adopted { await removeSandbox(adopted.id) }
            guard await createSandboxRetrying(attempt: adopted.map { $0.attempt + 1 } ?? 0) else { return }
        }
        let info: @Sendable () async -> (id: String, config: Runtime_V1_PodSandboxConfig, ips: [String])? = { await self.sandboxInfo }
        // Init containers run only when no main container is being re-attached.
        let adoptingMain = pod.pod.spec.containers.contains { containers[$0.name] != nil }
        if !adoptingMain {
            for container in pod.pod.spec.initContainers ?? [] {
                let supervisor = CRIContainerSupervisor(container: container, pod: pod, context: context, cri: cri, role: .initContainer, sandbox: info)
                initSupervisors.append(supervisor)
                await supervisor.start(adopting: containers[container.name])
                let status = await supervisor.waitUntilDone()
                if Task.isCancelled || !isSyncing { return }
                if status != .exited(0) {
                    logger.error("init container failed and the restart policy is Never; the pod will not start",
                                 metadata: ["container": "\(container.name)"])
                    return
                }
            }
        }
        for container in pod.pod.spec.containers {
            let supervisor = CRIContainerSupervisor(container: container, pod: pod, context: context, cri: cri, role: .regular, sandbox: info)
            supervisors.append(supervisor)
            await supervisor.start(adopting: containers[container.name])
        }
        adoptedContainers = containers
        containersStarted = true
        await startEphemeralContainers()
        if isSyncing { sandboxWatch = Task { await self.watchSandbox() } }
    }

    /// Creates the pod's sandbox, trying again with backoff until it exists; false when the pod stops meanwhile.
    private func createSandboxRetrying(attempt first: UInt32) async -> Bool {
        var attempt = first
        var delay = 1.0
        while sandboxID == nil {
            if Task.isCancelled || !isSyncing { return false }
            if await createSandbox(attempt: attempt) { return true }
            do { try await Task.sleep(for: .seconds(delay)) } catch { return false }
            delay = min(delay * 2, 30)
            // A failed RunPodSandbox (the CNI config missing, say) can leave a sandbox behind holding its name:
            // it goes, and the next try is the next attempt, as upstream's kubelet does.
            await removeFailedSandboxes()
            attempt += 1
        }
        return true
    }

    private var sandboxWatch: Task<Void, Never>?

    /// upstream's computePodActions when the sandbox is no longer ready (its pause process killed, `crictl stopp`):
    /// the pod's containers are stopped and start again, as their restart policy says, in a new sandbox.
    private func watchSandbox() async {
        while isSyncing, !Task.isCancelled, let id = sandboxID {
            await cri.relister.waitForSandboxChange(of: id, from: .sandboxReady)
            if Task.isCancelled || !isSyncing { return }
            var request = Runtime_V1_PodSandboxStatusRequest()
            request.podSandboxID = id
            do {
                if try await cri.runtime.podSandboxStatus(request, timeout: .seconds(30)).status.state == .sandboxReady { continue }
            } catch let status as GRPCStatus where status.code == .notFound {
                // Removed behind the kubelet's back: a new one, as for one that stopped.
            } catch {
                continue   // The runtime does not answer: nothing is known about the sandbox yet.
            }
            await recreateSandbox(replacing: id)
            // A pod that never restarts keeps its dead sandbox until it is deleted: nothing more to watch.
            if pod.restartPolicy == "Never" { return }
        }
    }

    private func recreateSandbox(replacing id: String) async {
        logger.info("No ready sandbox for pod can be found. Need to start a new one", metadata: ["podSandboxID": "\(id)"])
        event("Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
        let grace = Double(pod.pod.spec.terminationGracePeriodSeconds ?? 30)
        // upstream's computePodActions: a pod that never restarts gets no new sandbox once its containers have run;
        // they are stopped and the pod ends.
        if pod.restartPolicy == "Never" {
            await withTaskGroup(of: Void.self) { group in
                for supervisor in supervisors + ephemeralSupervisors { group.addTask { await supervisor.kill(grace: grace) } }
            }
            return
        }
        let attempt = sandboxConfig.metadata.attempt + 1
        // Until the new sandbox exists the supervisors wait for it (their containers show ContainerCreating).
        sandboxID = nil
        ips = []
        await withTaskGroup(of: Void.self) { group in
            for supervisor in supervisors + ephemeralSupervisors {
                group.addTask { await supervisor.kill(grace: grace) }
            }
        }
        // A kubelet going away meanwhile leaves the rest to its successor.
        guard isSyncing else { return }
        await removeSandbox(id)
        _ = await createSandboxRetrying(attempt: attempt)
    }

    /// The pod as the API has it now: of a running pod's spec only its ephemeral containers may change
    /// (`pods/ephemeralcontainers`), and new ones are started; existing ones are never changed or removed.
    func update(_ latest: KubeletPod) async {
        guard latest.uid == pod.uid, isSyncing else { return }
        let known = Set(ephemeralContainers.map(\.container.name))
        let added = (latest.pod.spec.ephemeralContainers ?? []).filter { !known.contains($0.container.name) }
        guard !added.isEmpty else { return }
        ephemeralContainers += added
        if containersStarted { await startEphemeralContainers() }
    }

    private func startEphemeralContainers() async {
        let info: @Sendable () async -> (id: String, config: Runtime_V1_PodSandboxConfig, ips: [String])? = { await self.sandboxInfo }
        for ephemeral in ephemeralContainers {
            // Looked at for each one: an update may have started some while this waited on the previous start.
            if ephemeralSupervisors.contains(where: { $0.container.name == ephemeral.container.name }) { continue }
            if Task.isCancelled || !isSyncing { return }
            let supervisor = CRIContainerSupervisor(container: ephemeral.container, pod: pod, context: context, cri: cri,
                                                    role: .ephemeral(target: ephemeral.targetContainerName), sandbox: info,
                                                    runningContainerID: { await self.runningContainerID(named: $0) })
            ephemeralSupervisors.append(supervisor)
            logger.info("starting ephemeral container", metadata: ["container": "\(ephemeral.container.name)",
                                                                   "target": "\(ephemeral.targetContainerName ?? "")"])
            await supervisor.start(adopting: adoptedContainers[ephemeral.container.name])
        }
    }

    /// The ID of the running regular or init container of this name.
    private func runningContainerID(named name: String) async -> String? {
        for supervisor in supervisors + initSupervisors where supervisor.container.name == name {
            let snapshot = await supervisor.snapshot
            if snapshot.state.isRunning { return snapshot.containerID }
        }
        return nil
    }

    private func createSandbox(attempt: UInt32) async -> Bool {
        let config = SandboxConfigBuilder.build(pod, attempt: attempt, podLogsDir: context.settings.podLogsDir)
        try? FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o755])
        var request = Runtime_V1_RunPodSandboxRequest()
        request.config = config
        request.runtimeHandler = handler
        do {
            let response = try await cri.runtime.runPodSandbox(request, timeout: .seconds(240))
            sandboxID = response.podSandboxID
            sandboxConfig = config
            await refreshIPs()
            logger.info("RunPodSandbox", metadata: ["podSandboxID": "\(response.podSandboxID)", "podIPs": "\(ips)"])
            return true
        } catch {
            logger.error("CreatePodSandbox for pod failed: \(error)")
            event("Warning", "FailedCreatePodSandBox", "Failed to create pod sandbox: \(error)")
            return false
        }
    }

    private func refreshIPs() async {
        guard let id = sandboxID, pod.pod.spec.hostNetwork != true else { return }
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = id
        guard let status = try? await cri.runtime.podSandboxStatus(request, timeout: .seconds(30)).status else { return }
        let network = status.network
        ips = ([network.ip] + network.additionalIps.map(\.ip)).filter { !$0.isEmpty }
    }

    private func removeFailedSandboxes() async {
        var request = Runtime_V1_ListPodSandboxRequest()
        request.filter.labelSelector = [KubeRuntimeLabels.podUID: pod.uid]
        guard let sandboxes = try? await cri.runtime.listPodSandbox(request, timeout: .seconds(30)).items else { return }
        for sandbox in sandboxes where sandbox.state != .sandboxReady {
            await removeSandbox(sandbox.id)
        }
    }

    private func removeSandbox(_ id: String) async {
        await KubeRuntimeRelist.removeSandbox(id, runtime: cri.runtime, logger: logger)
    }

    func terminate(grace: Double?) async {
        guard state == .syncing else { return }
        state = .terminating
        let period = grace ?? Double(pod.pod.spec.terminationGracePeriodSeconds ?? 30)
        logger.info("Killing pod", metadata: ["uid": "\(pod.uid)", "gracePeriod": "\(Int(period))"])
        task?.cancel()
        // The start may be waiting for an init container to finish, which cancelling it does not end: stopped first.
        await withTaskGroup(of: Void.self) { group in
            for supervisor in initSupervisors { group.addTask { await supervisor.stop(grace: period) } }
        }
        _ = await task?.value
        sandboxWatch?.cancel()
        _ = await sandboxWatch?.value
        await withTaskGroup(of: Void.self) { group in
            for supervisor in initSupervisors + supervisors + ephemeralSupervisors {
                group.addTask { await supervisor.stop(grace: period) }
            }
        }
        if let id = sandboxID { await removeSandbox(id) }
        await context.volumes.tearDown(podUID: pod.uid)
        state = .terminated
    }

    /// Syncing and not detached: a detached worker starts nothing more (its successor, in a new kubelet, will).
    private var isSyncing: Bool { state == .syncing && !detached }
    private var detached = false

    func detach() async {
        detached = true
        task?.cancel()
        sandboxWatch?.cancel()
        for supervisor in initSupervisors + supervisors + ephemeralSupervisors { await supervisor.detach() }
    }

    func initStatuses() async -> [ContainerStatusSnapshot] {
        var out: [ContainerStatusSnapshot] = []
        for supervisor in initSupervisors { out.append(await supervisor.snapshot) }
        return out
    }

    func statuses() async -> [ContainerStatusSnapshot] {
        var out: [ContainerStatusSnapshot] = []
        for supervisor in supervisors { out.append(await supervisor.snapshot) }
        // Containers not started yet (the sandbox or an init container is still on its way) are waiting.
        for container in pod.pod.spec.containers.dropFirst(out.count) {
            out.append(ContainerStatusSnapshot(name: container.name, state: .waiting(reason: "ContainerCreating", message: nil),
                                               restartCount: 0, ready: false, pid: nil, containerID: nil,
                                               image: container.image ?? "", runtimeName: cri.runtimeName))
        }
        return out
    }

    func ephemeralStatuses() async -> [ContainerStatusSnapshot] {
        var out: [ContainerStatusSnapshot] = []
        for supervisor in ephemeralSupervisors { out.append(await supervisor.snapshot) }
        for ephemeral in ephemeralContainers.dropFirst(out.count) {
            out.append(ContainerStatusSnapshot(name: ephemeral.container.name, state: .waiting(reason: "ContainerCreating", message: nil),
                                               restartCount: 0, ready: false, pid: nil, containerID: nil,
                                               image: ephemeral.container.image ?? "", runtimeName: cri.runtimeName))
        }
        return out
    }

    func ephemeralContainerSpecs() async -> [Container] { ephemeralContainers.map(\.container) }

    func podIPs() async -> [String] { ips }

    var sandboxIDForStreaming: String? { sandboxID }
    nonisolated var runtimeForStreaming: any RuntimeService { cri.runtime }

    /// The running container of this name (regular, init or ephemeral), for exec and attach.
    func containerID(named name: String) async -> String? {
        for supervisor in supervisors + initSupervisors + ephemeralSupervisors where supervisor.container.name == name {
            return await supervisor.snapshot.containerID
        }
        return nil
    }
}
