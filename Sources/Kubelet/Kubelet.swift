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
    private var workers: [String: PodWorker] = [:]
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
                                      prober: Prober(), logger: logger, hostname: hostname, events: events, api: api)
        for checkpoint in context.checkpoints.all() {
            pendingAdoption[checkpoint.podUID, default: [:]][checkpoint.containerName] = checkpoint
        }
        (changes, changed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Runs until the task is cancelled. `onFirstSync` is called once the static pod source has been read (READY=1).
    public func run(onFirstSync: @escaping @Sendable () -> Void = {}) async {
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
    }

    func sync(_ pods: [KubeletPod]) async {
        let desired = Dictionary(pods.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
        let gone = workers.filter { desired[$0.key] == nil }
        if !gone.isEmpty {
            for uid in gone.keys {
                workers[uid] = nil
                terminating.insert(uid)
            }
            await withTaskGroup(of: Void.self) { group in
                for (uid, worker) in gone {
                    let grace = apiDeletionGrace[uid]
                    group.addTask {
                        let pod = await worker.pod
                        self.logger.info(pod.isStatic ? "static pod removed or changed; stopping it" : "pod deleted or no longer bound here; stopping it",
                                         metadata: ["pod": "\(pod.fullName)", "uid": "\(uid)"])
                        await worker.terminate(grace: grace)
                    }
                }
            }
            terminating.subtract(gone.keys)
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
        for pod in pods where workers[pod.uid] == nil && !terminating.contains(pod.uid) {
            let worker = PodWorker(pod: pod, context: context)
            workers[pod.uid] = worker
            await worker.start(adopting: pendingAdoption.removeValue(forKey: pod.uid) ?? [:])
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
                                   startTime: worker.startedAt))
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
            pod["status"] = PodStatusBuilder.build(.init(pod: snapshot.pod, initStatuses: snapshot.initStatuses, statuses: snapshot.statuses,
                                                         startTime: snapshot.startTime, hostIP: hostIP), transitions: &transitions)
            items.append(pod)
        }
        return items
    }

    /// Where a container's logs are: its pod's log directory and the current restart count.
    public func logLocation(namespace: String, pod: String, container: String) async -> (podLogDir: String, restartCount: Int)? {
        for worker in workers.values {
            let p = worker.pod
            guard p.namespace == namespace, p.name == pod else { continue }
            let all = await worker.initStatuses() + worker.statuses()
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
            let spec = (p.pod.spec.containers + (p.pod.spec.initContainers ?? [])).first { $0.name == container }
            let status = (await worker.statuses() + worker.initStatuses()).first { $0.name == container }
            return StreamTarget(pod: p, container: spec, status: status)
        }
        return nil
    }

    /// Where the container runtime serves a streaming request (CRI GetExec/GetAttach/GetPortForward); nil when the
    /// kubelet serves it itself (a host-process pod, or no runtime). The CRI runtime fills this in.
    public func streamingURL(_ request: StreamRequest) async throws -> String? {
        nil
    }

    /// Stops every pod (used when the kubelet is asked to stop its pods on shutdown).
    public func stopAllPods() async {
        let all = workers
        workers = [:]
        await withTaskGroup(of: Void.self) { group in
            for worker in all.values { group.addTask { await worker.terminate() } }
        }
    }
}
