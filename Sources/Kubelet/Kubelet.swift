import SystemdNotify
import FoundationEssentials
import Glibc
import KubeClient
import KubeJSON
import Logging

/// The node agent: merges its pod sources — static pod manifests, and (with `--kubeconfig`) the pods the API binds to
/// this node — into running pods. Each change is compared by UID with what runs: pods that disappeared or changed
/// (a changed file is a new UID) are terminated first, then new pods are started. On start, containers recorded
/// under the root dir are re-adopted if still alive, and containers of pods that no longer exist in their source are
/// stopped once that source has been read.
public actor Kubelet {
    public let settings: KubeletSettings
    private let logger: Logger
    private let context: RuntimeContext
    private var workers: [String: any PodWorking] = [:]
    /// The CRI runtime of `--container-runtime-endpoint`, once connected; nil runs every pod as host processes.
    private var cri: KubeGenericRuntime?
    /// Sandboxes found in the runtime at start, by pod UID, until their pod is seen (re-attached) or known gone.
    private var pendingSandboxes: [String: AdoptedSandbox] = [:]
    private var terminating: Set<String> = []
    private var pendingAdoption: [String: [String: ContainerCheckpoint]] = [:]
    private var filePods: [KubeletPod] = []
    private var apiPods: [KubeletPod] = []
    private var synced = false
    private var apiSynced = false
    private let logCollector: PodLogGarbageCollector
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation

    /// `api` is the node's client (absent when standalone): what pods reference from the API (ConfigMaps, Secrets,
    /// service account tokens) is read through it.
    public init(settings: KubeletSettings, logger: Logger, hostname: String, events: PodEventSink? = nil,
                api: (any KubernetesClient)? = nil) {
        self.settings = settings
        self.logger = logger
        self.logCollector = PodLogGarbageCollector(podLogsDir: settings.podLogsDir, containerLogsDir: settings.containerLogsDir)
        self.context = RuntimeContext(settings: settings, checkpoints: CheckpointStore(rootDir: settings.rootDir),
                                      prober: Prober(), logger: logger, hostname: hostname, events: events, api: api,
                                      volumes: VolumeManager(rootDir: settings.rootDir, api: api, logger: logger))
        for checkpoint in context.checkpoints.all() {
            pendingAdoption[checkpoint.podUID, default: [:]][checkpoint.containerName] = checkpoint
        }
        (changes, changed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Runs until the task is cancelled. `onFirstSync` is called once the static pod source has been read (READY=1).
    public func run(onFirstSync: @escaping @Sendable () -> Void = {}) async {
        if settings.containerRuntimeEndpoint != nil {
            // Once before any pod starts, so that running containers are re-attached rather than started again.
            await updateRuntimeUp()
        } else {
            logger.info("no --container-runtime-endpoint: every pod runs as host processes")
        }
        let path = settings.staticPodPath
        if path == nil { logger.info("no static pod path configured (--pod-manifest-path or staticPodPath); no static pods will run") }
        await withTaskGroup(of: Void.self) { group in
            if let path {
                logger.info("Adding static pod path", metadata: ["path": "\(path)"])
                let source = StaticPodSource(directory: path, nodeName: settings.nodeName,
                                             checkFrequency: settings.fileCheckFrequency, logger: logger)
                group.addTask {
                    for await snapshot in source.updates() { await self.setFilePods(snapshot.pods) }
                }
            } else {
                setFilePods([])
            }
            // API-data volumes follow their objects (and tokens are renewed) once per sync period.
            let volumes = context.volumes
            let period = settings.syncFrequency
            group.addTask { await volumes.run(period: period) }
            // upstream's updateRuntimeUp: the runtime is (re)connected and its health read every 5 s.
            if settings.containerRuntimeEndpoint != nil {
                group.addTask {
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: .seconds(5)) } catch { return }
                        await self.updateRuntimeUp()
                    }
                }
            }
            // One loop applies the sources' changes, so two syncs never interleave.
            group.addTask {
                for await _ in self.changes {
                    await self.sync()
                    if await self.markFirstSync() { onFirstSync() }
                }
            }
            // Both loops end when the task is cancelled.
            await group.waitForAll()
        }
        // Leaving without being asked to stop the pods: they keep running and the next kubelet re-adopts them.
        for worker in workers.values { await worker.detach() }
    }

    private var fileSourceRead = false

    private func setFilePods(_ pods: [KubeletPod]) {
        filePods = pods
        fileSourceRead = true
        changed.yield()
    }

    /// The pods the API binds to this node, from the node agent's watch, and the grace periods of the ones being
    /// deleted (which are no longer among them); the first call marks that source read.
    public func setAPIPods(_ pods: [KubeletPod], deleting: [String: Double] = [:]) {
        apiPods = pods
        apiDeletionGrace = deleting
        apiSynced = true
        changed.yield()
    }

    private var apiDeletionGrace: [String: Double] = [:]
    /// Pods of the container runtime not started because it does not answer yet, by UID.
    private var waitingForRuntime: Set<String> = []
    /// API pods this kubelet will not run, by UID, with the reason their status reports.
    private var rejections: [String: PodRejection] = [:]

    /// Why the pod with this UID is not run here; nil when it runs (or is not known).
    func rejection(of uid: String) -> PodRejection? { rejections[uid] }

    /// True the first time the static pods have been synced.
    private func markFirstSync() -> Bool {
        guard fileSourceRead, !synced else { return false }
        synced = true
        return true
    }

    private func sync() async {
        guard fileSourceRead else { return }
        await sync(filePods + apiPods)
        SystemdNotifier.notify("STATUS=\(await summary())")
        logCollector.sweep(activeUIDs: Set(workers.keys).union(terminating), now: Date().timeIntervalSince1970)
        // Once every source has been read, volumes left by pods that are gone can go.
        if apiSynced || context.api == nil {
            // Pods waiting for the runtime keep their volumes: their containers may still run, to be re-attached.
            await context.volumes.cleanUpOrphans(active: Set(workers.keys).union(terminating).union(pendingAdoption.keys)
                .union(pendingSandboxes.keys).union(waitingForRuntime))
        }
    }

    func sync(_ pods: [KubeletPod]) async {
        let desired = Dictionary(pods.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
        rejections = rejections.filter { desired[$0.key] != nil }
        waitingForRuntime = waitingForRuntime.filter { desired[$0] != nil }
        let gone = workers.filter { desired[$0.key] == nil }
        // Each pod stops in its own task, so one slow container's grace period holds back no other pod.
        for (uid, worker) in gone {
            workers[uid] = nil
            terminating.insert(uid)
            let pod = worker.pod
            if pod.isStatic { stoppingStatic[pod.fullName, default: 0] += 1 }
            let grace = apiDeletionGrace[uid]
            logger.info(pod.isStatic ? "static pod removed or changed; stopping it" : "pod deleted or no longer bound here; stopping it",
                        metadata: ["pod": "\(pod.fullName)", "uid": "\(uid)"])
            terminations[uid] = Task {
                await worker.terminate(grace: grace)
                await self.finishedTerminating(uid, staticName: pod.isStatic ? pod.fullName : nil)
            }
        }
        // Containers of pods that went away while the kubelet was down, once their source is known.
        for (uid, containers) in pendingAdoption where desired[uid] == nil {
            let fromAPI = containers.values.contains { $0.source == KubeletPod.Source.api.rawValue }
            guard fromAPI ? apiSynced : true else { continue }
            for checkpoint in containers.values {
                if let process = HostProcess.adopt(pid: checkpoint.pid, startTicks: checkpoint.startTicks) {
                    logger.info("stopping container of a pod that no longer exists",
                                metadata: ["pod": "\(checkpoint.podFullName)", "container": "\(checkpoint.containerName)", "pid": "\(checkpoint.pid)"])
                    await ContainerSupervisor.terminate(process, grace: 30, logger: logger)
                }
            }
            context.checkpoints.removePod(uid)
            pendingAdoption[uid] = nil
        }
        // Sandboxes of pods that no longer exist, once every source is known (a pod of the API may just not be
        // listed yet).
        if apiSynced || context.api == nil {
            for (uid, sandbox) in pendingSandboxes where desired[uid] == nil {
                pendingSandboxes[uid] = nil
                if let cri {
                    logger.info("removing the pod sandbox of a pod that no longer exists", metadata: ["podSandboxID": "\(sandbox.id)", "uid": "\(uid)"])
                    await KubeRuntimeRelist.removeSandbox(sandbox.id, runtime: cri.runtime, logger: logger)
                }
            }
        }
        // Of a running pod's spec only ephemeral containers change (`kubectl debug`); its worker starts new ones.
        for pod in pods where !(pod.pod.spec.ephemeralContainers ?? []).isEmpty {
            if let worker = workers[pod.uid] { await worker.update(pod) }
        }
        // A changed static pod starts once the previous one has stopped, as upstream's: both would want its ports.
        for pod in pods where workers[pod.uid] == nil && !terminating.contains(pod.uid)
            && !(pod.isStatic && stoppingStatic[pod.fullName] != nil) {
            if rejections[pod.uid] != nil { continue }
            if let handler = await runtimeHandler(for: pod), handler != Self.hostProcessHandler {
                guard let cri else {
                    if waitingForRuntime.insert(pod.uid).inserted {
                        logger.info("pod waits for the container runtime", metadata: ["pod": "\(pod.namespace)/\(pod.name)"])
                    }
                    continue
                }
                waitingForRuntime.remove(pod.uid)
                let worker = CRIPodWorker(pod: pod, context: context, cri: cri, handler: handler)
                workers[pod.uid] = worker
                await worker.start(adopting: pendingSandboxes.removeValue(forKey: pod.uid))
            } else if !pod.isStatic, let rejection = APIServerPodSource.hostProcessRejection(pod) {
                // Static pods were checked when their file was read.
                logger.warning("pod cannot run as host processes: \(rejection.message)", metadata: ["pod": "\(pod.namespace)/\(pod.name)"])
                rejections[pod.uid] = rejection
            } else {
                let worker = PodWorker(pod: pod, context: context)
                workers[pod.uid] = worker
                await worker.start(adopting: pendingAdoption.removeValue(forKey: pod.uid) ?? [:])
            }
        }
    }

    /// A runtime connected by the caller rather than from `--container-runtime-endpoint` (tests use a fake one).
    func use(runtime: KubeGenericRuntime) { cri = runtime }

    private var runtimeState = RuntimeState()
    private var runtimeFailures = 0

    /// Connects to the runtime of `--container-runtime-endpoint` while it is not, then reads its Status. Pods of the
    /// runtime wait for it rather than running as host processes; once it answers they start (and sandboxes left
    /// by a previous kubelet are re-attached).
    func updateRuntimeUp(now: @Sendable () -> Date = { Date() }) async {
        guard let endpoint = settings.containerRuntimeEndpoint else { return }
        defer { runtimeChecked = true }
        if cri == nil {
            do {
                let connected = try await KubeGenericRuntime.connect(endpoint: endpoint, logger: logger)
                let found: [String: AdoptedSandbox]
                do { found = try await KubeRuntimeRelist.sandboxes(connected.runtime, logger: logger) } catch {
                    throw RuntimeUnavailable(description: "listing the pod sandboxes of the container runtime at \(endpoint) failed: \(error)")
                }
                // What runs is known before any sync may use the runtime: a pod is re-attached, never started twice.
                for (uid, sandbox) in found where workers[uid] == nil { pendingSandboxes[uid] = sandbox }
                cri = connected
                if runtimeFailures > 0 { logger.info("the container runtime answers; starting the pods that waited for it") }
                runtimeFailures = 0
                changed.yield()
            } catch {
                runtimeFailures += 1
                // Once at first, then every minute: the kubelet tries every 5 s.
                if runtimeFailures == 1 || runtimeFailures % 12 == 0 {
                    logger.error("\(error); pods of the container runtime wait for it (host-process pods run)")
                }
                return
            }
        }
        guard let cri else { return }
        do {
            let status = try await cri.runtime.status(.init(), timeout: .seconds(10))
            let before = runtimeState.problem(now: now())
            runtimeState.record(status.status, at: now())
            if let problem = runtimeState.problem(now: now()), problem != before {
                logger.error("Container runtime not ready: \(problem)")
            }
        } catch {
            runtimeFailures += 1
            if runtimeFailures == 1 || runtimeFailures % 12 == 0 { logger.error("Container runtime sanity check failed: \(error)") }
            return
        }
        runtimeFailures = 0
    }

    /// Whether the runtime has been asked once (or none is configured): the Node registers after that, so that it is
    /// not first reported NotReady only because the question was still on its way.
    public private(set) var runtimeChecked = false

    /// Why the node is not Ready because of its container runtime (nil when it is, or when none is configured).
    public var runtimeProblem: String? {
        guard settings.containerRuntimeEndpoint != nil else { return nil }
        return runtimeState.problem(now: Date())
    }

    /// The Node's status.nodeInfo.containerRuntimeVersion.
    public var containerRuntimeVersion: String { cri?.nodeRuntimeVersion ?? HostInfo.hostProcessRuntimeVersion }

    /// The RuntimeClass handler that runs Kubestrap's host processes.
    static let hostProcessHandler = "host-process"

    /// How the pod runs: nil or `host-process` as host processes, otherwise the CRI runtime handler (empty for the
    /// runtime's default). A pod runs as host processes when no runtime is configured, or when its
    /// `runtimeClassName` is `host-process` or names a RuntimeClass whose handler is `host-process` (the control
    /// plane's static pods, which run before any API exists to look the class up, name it directly).
    func runtimeHandler(for pod: KubeletPod) async -> String? {
        guard cri != nil || settings.containerRuntimeEndpoint != nil else { return nil }
        guard let name = pod.pod.spec.runtimeClassName, !name.isEmpty else { return "" }
        if name == Self.hostProcessHandler { return Self.hostProcessHandler }
        guard let api = context.api else {
            logger.warning("pod names RuntimeClass \(name) but this kubelet has no API to look it up; using the runtime's default handler",
                           metadata: ["pod": "\(pod.namespace)/\(pod.name)"])
            return ""
        }
        do {
            let runtimeClass = try await api.get(.runtimeClasses, namespace: nil, name: name, subresource: nil)
            return runtimeClass["handler"]?.string ?? ""
        } catch {
            logger.warning("RuntimeClass \(name) could not be read (\(error)); using the runtime's default handler",
                           metadata: ["pod": "\(pod.namespace)/\(pod.name)"])
            return ""
        }
    }

    /// The CRI streaming-server URL for an exec/attach/port-forward into a pod the CRI runtime runs; nil for a pod
    /// of the host-process runtime (the kubelet serves those itself). Throws when the pod or container is unknown.
    func criStreamingURL(namespace: String, pod name: String, container: String, kind: CRIStreamKind,
                         tty: Bool, stdin: Bool, stdout: Bool, stderr: Bool) async throws -> String? {
        guard let worker = workers.values.first(where: { $0.pod.namespace == namespace && $0.pod.name == name }) else {
            throw CRIStreamingError(description: "pod \(namespace)/\(name) is not running on this node")
        }
        guard let criWorker = worker as? CRIPodWorker else { return nil }
        return try await criWorker.streamingURL(container: container, kind: kind, tty: tty, stdin: stdin, stdout: stdout, stderr: stderr)
    }

    /// The volume manager, for the container runtime: `mounts(for:container:)` lists what a container mounts.
    public nonisolated var volumes: VolumeManager { context.volumes }

    private var terminations: [String: Task<Void, Never>] = [:]
    /// Static pods (by full name) whose previous instance is still stopping.
    private var stoppingStatic: [String: Int] = [:]

    private func finishedTerminating(_ uid: String, staticName: String?) {
        terminating.remove(uid)
        terminations[uid] = nil
        if let staticName {
            let left = (stoppingStatic[staticName] ?? 1) - 1
            stoppingStatic[staticName] = left > 0 ? left : nil
        }
        changed.yield()
    }

    /// Waits until every pod being stopped has stopped.
    func waitForTerminations() async {
        while let (_, task) = terminations.first {
            await task.value
        }
    }

    /// Whether the pod with this UID still has a worker (running or being stopped).
    public func isActive(_ uid: String) -> Bool { workers[uid] != nil || terminating.contains(uid) }

    /// `pods: N running, M crashlooping`, for systemd's STATUS= line.
    public func summary() async -> String {
        var running = 0
        var looping = 0
        for worker in workers.values {
            for status in await worker.statuses() {
                if status.state.isRunning { running += 1 }
                if status.state.isCrashLooping { looping += 1 }
            }
        }
        return "pods: \(workers.count), containers running: \(running), crashlooping: \(looping)"
    }

    /// Container states of every pod, by pod full name.
    public func podStatuses() async -> [String: [ContainerStatusSnapshot]] {
        var out: [String: [ContainerStatusSnapshot]] = [:]
        for worker in workers.values { out[await worker.pod.fullName] = await worker.statuses() }
        return out
    }

    /// Whether the static pod source has been read once (before that, "no pods" means "not known yet").
    public var hasSynced: Bool { synced }

    /// Every pod with its container states, for mirror pods and the kubelet API.
    public func podSnapshots() async -> [PodSnapshot] {
        var out: [PodSnapshot] = []
        for worker in workers.values where await worker.state == .syncing {
            out.append(PodSnapshot(pod: worker.pod, initStatuses: await worker.initStatuses(), statuses: await worker.statuses(),
                                   startTime: worker.startedAt, podIPs: await worker.podIPs(),
                                   ephemeralStatuses: await worker.ephemeralStatuses()))
        }
        return out.sorted { $0.pod.fullName < $1.pod.fullName }
    }

    /// `/pods` of the kubelet API: the static pods as the kubelet sees them.
    public func podList(hostIP: String) async -> [JSONValue] {
        var items: [JSONValue] = []
        for snapshot in await podSnapshots() {
            var pod = (try? JSONValueEncoder().encode(snapshot.pod.pod)) ?? .emptyObject
            pod["apiVersion"] = "v1"
            pod["kind"] = "Pod"
            pod[path: ["metadata", "uid"]] = .string(snapshot.pod.uid)
            var transitions: [String: (String, Date)] = [:]
            pod["status"] = PodStatusBuilder.build(.init(snapshot, hostIP: hostIP), transitions: &transitions)
            items.append(pod)
        }
        return items
    }

    /// Where a container's logs are: its pod's log directory and the current restart count.
    public func logLocation(namespace: String, pod: String, container: String) async -> (podLogDir: String, restartCount: Int)? {
        for worker in workers.values {
            let p = worker.pod
            guard p.namespace == namespace, p.name == pod else { continue }
            let all = await worker.initStatuses() + worker.statuses() + worker.ephemeralStatuses()
            guard let status = all.first(where: { $0.name == container }) else { return nil }
            return ("\(settings.podLogsDir)/\(p.namespace)_\(p.name)_\(p.uid)", status.restartCount)
        }
        return nil
    }

    /// The pod and container a streaming request (exec, attach, port-forward) names, as this node runs them; nil
    /// when the pod is not here. `container` nil: the pod alone (port-forward).
    public func streamTarget(namespace: String, pod: String, container: String?) async -> StreamTarget? {
        for worker in workers.values {
            let p = worker.pod
            guard p.namespace == namespace, p.name == pod else { continue }
            guard let container else { return StreamTarget(pod: p, container: nil, status: nil) }
            let spec = (p.pod.spec.containers + (p.pod.spec.initContainers ?? []) + (await worker.ephemeralContainerSpecs()))
                .first { $0.name == container }
            let status = (await worker.statuses() + worker.initStatuses() + worker.ephemeralStatuses()).first { $0.name == container }
            var environment: [(String, String)] = []
            if let spec, worker is PodWorker {
                // Resolved again as the container got it; a reference gone since then leaves its variable out.
                let resolved = (try? await ContainerEnvironment.resolve(container: spec, pod: p, context: context)) ?? []
                environment = ContainerEnvironment.hostProcessEnvironment(resolved, hostname: context.hostname)
            }
            return StreamTarget(pod: p, container: spec, status: status, environment: environment)
        }
        return nil
    }

    /// Where the container runtime serves a streaming request (CRI GetExec/GetAttach/GetPortForward); nil when the
    /// kubelet serves it itself (a host-process pod, or no runtime). The CRI runtime fills this in.
    public func streamingURL(_ request: StreamRequest) async throws -> String? {
        let kind: CRIStreamKind = switch request.kind {
        case .exec: .exec(command: request.command)
        case .attach: .attach
        case .portForward: .portForward(ports: request.ports)
        }
        return try await criStreamingURL(namespace: request.namespace, pod: request.pod, container: request.container, kind: kind,
                                         tty: request.tty, stdin: request.stdin, stdout: request.stdout, stderr: request.stderr)
    }

    /// Stops every pod (used when the kubelet is asked to stop its pods on shutdown).
    public func stopAllPods() async {
        let all = workers
        workers = [:]
        await withTaskGroup(of: Void.self) { group in
            for worker in all.values { group.addTask { await worker.terminate(grace: nil) } }
        }
        await waitForTerminations()
    }
}
