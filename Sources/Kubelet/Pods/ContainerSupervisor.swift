import AtomicFile
import FoundationEssentials
import Glibc
import KubeAPI
import KubeClient
import Logging

/// Runs one container of a pod as a host process and keeps it running according to the pod's restart policy:
/// restarts with CrashLoopBackOff, restarts on liveness failure, tracks readiness, and stops it with SIGTERM
/// then SIGKILL after the grace period.
actor ContainerSupervisor {
    let container: Container
    let pod: KubeletPod
    let context: RuntimeContext
    let isInit: Bool
    private let logger: Logger

    private(set) var state: ContainerState = .waiting(reason: "ContainerCreating", message: nil)
    private(set) var restartCount = 0
    private(set) var ready = false
    private var backoff = CrashLoopBackOff()
    private var process: HostProcess?
    private var containerID: String?
    private var stopping = false
    private var loop: Task<ExitStatus?, Never>?
    private var probes: Task<Void, Never>?
    private var lastTermination: ContainerStatusSnapshot.Termination?
    private var currentStart: Date?
    private var started = false
    private var configRetries = 0

    init(container: Container, pod: KubeletPod, context: RuntimeContext, isInit: Bool) {
        self.container = container
        self.pod = pod
        self.context = context
        self.isInit = isInit
        var logger = context.logger
        logger[metadataKey: "pod"] = "\(pod.namespace)/\(pod.name)"
        logger[metadataKey: "container"] = "\(container.name)"
        self.logger = logger
    }

    var snapshot: ContainerStatusSnapshot {
        ContainerStatusSnapshot(name: container.name, state: state, restartCount: restartCount, ready: ready,
                                pid: process?.pid, containerID: containerID, image: container.image ?? "",
                                lastTermination: lastTermination, started: started)
    }

    /// Whether the container is being stopped for good (or left to the next kubelet).
    var isStopping: Bool { stopping }

    private func event(_ type: String, _ reason: String, _ message: String) {
        context.events?.emit(PodEvent(podUID: pod.uid, container: container.name, type: type, reason: reason, message: message,
                                      initContainer: isInit))
    }

    /// Starts supervision (re-adopting the process of `checkpoint` if it is still alive).
    func start(adopting checkpoint: ContainerCheckpoint?) {
        guard loop == nil else { return }
        loop = Task { await self.superviseLoop(adopting: checkpoint) }
    }

    /// For init containers: waits until the container has run to completion and returns its final status.
    func waitUntilDone() async -> ExitStatus? {
        await loop?.value
    }

    private func superviseLoop(adopting checkpoint: ContainerCheckpoint?) async -> ExitStatus? {
        var adopt = checkpoint
        while !stopping && !Task.isCancelled {
            let startedAt: Date
            if let cp = adopt, let existing = HostProcess.adopt(pid: cp.pid, startTicks: cp.startTicks) {
                restartCount = cp.restartCount
                containerID = cp.containerID
                process = existing
                startedAt = RFC3339.parse(cp.startedAt) ?? Date()
                if existing.stdoutRead >= 0 && existing.stderrRead >= 0 {
                    _ = ContainerLogWriter(path: cp.logPath, stdoutFD: existing.stdoutRead, stderrFD: existing.stderrRead,
                                           maxSize: context.settings.containerLogMaxSize, maxFiles: context.settings.containerLogMaxFiles)
                }
                logger.info("re-adopted running container from a previous kubelet", metadata: ["pid": "\(cp.pid)"])
            } else {
                if let cp = adopt { restartCount = cp.restartCount + 1 }
                let environment: [(String, String)]
                do {
                    environment = try await ContainerEnvironment.resolve(container: container, pod: pod, context: context)
                    configRetries = 0
                } catch {
                    if stopping || Task.isCancelled { break }
                    // Retried until what it references appears, as upstream's pod worker syncs the pod again.
                    state = .waiting(reason: "CreateContainerConfigError", message: error.message)
                    logger.error("Error: \(error.message)")
                    event("Warning", "Failed", "Error: \(error.message)")
                    let delay = min(Double(1 << min(configRetries, 5)), context.configErrorMaxDelay)
                    configRetries += 1
                    if !(await sleepUnlessStopped(seconds: delay)) { break }
                    continue
                }
                // Reading the API let a stop come in: a process started now would never be stopped.
                if stopping || Task.isCancelled { break }
                do {
                    let mounts = try await context.volumes.mounts(for: pod, container: container, environment: environment)
                    if stopping || Task.isCancelled { break }
                    startedAt = try startProcess(environment: environment, mounts: mounts)
                } catch {
                    state = .waiting(reason: "RunContainerError", message: "\(error)")
                    logger.error("Error: failed to start container: \(error)")
                    event("Warning", "Failed", "Error: \(error)")
                    let delay = backoff.delay(afterRunning: 0)
                    if !(await sleepUnlessStopped(seconds: max(delay, 1))) { break }
                    continue
                }
            }
            adopt = nil
            state = .running(startedAt: startedAt)
            currentStart = startedAt
            started = container.startupProbe == nil
            guard let running = process else { break }
            probes = startProbes(for: running)
            let status = await running.waitForExit()
            probes?.cancel()
            probes = nil
            ready = false
            let ranFor = Date().timeIntervalSince(startedAt)
            let reason: String
            switch status {
            case .exited(0): reason = "Completed"
            case .exited: reason = "Error"
            default: reason = "Error"
            }
            state = .terminated(exitCode: status.exitCode, reason: reason, finishedAt: Date())
            lastTermination = .init(exitCode: status.exitCode, reason: reason, startedAt: startedAt, finishedAt: Date(),
                                    containerID: containerID)
            started = false
            if stopping { return status }
            logger.info("container exited", metadata: ["exitCode": "\(status.exitCode)", "ranFor": "\(oneDecimal(ranFor))s"])
            let policy = isInit && pod.restartPolicy == "Always" ? "OnFailure" : pod.restartPolicy
            let restart = policy == "Always" || (policy == "OnFailure" && status != .exited(0))
            if !restart { return status }
            let delay = backoff.delay(afterRunning: ranFor)
            if delay > 0 {
                state = .waiting(reason: "CrashLoopBackOff",
                                 message: "back-off \(Int(backoff.current))s restarting failed container=\(container.name) pod=\(pod.fullName)(\(pod.uid))")
                logger.warning("Back-off restarting failed container", metadata: ["delay": "\(oneDecimal(delay))s"])
                event("Warning", "BackOff", "Back-off restarting failed container \(container.name) in pod \(pod.fullName)(\(pod.uid))")
                if !(await sleepUnlessStopped(seconds: delay)) { break }
            }
            restartCount += 1
        }
        return nil
    }

    /// Starts a fresh process: log file and symlink, spawn, log copier, checkpoint.
    private func startProcess(environment: [(String, String)], mounts: [ContainerMount]) throws -> Date {
        let settings = context.settings
        let env = ContainerEnvironment.hostProcessEnvironment(environment, hostname: context.hostname)
        let argv = ContainerEnvironment.argv(for: container, environment: environment)
        let id = Self.newContainerID()
        let podLogDir = "\(settings.podLogsDir)/\(pod.namespace)_\(pod.name)_\(pod.uid)/\(container.name)"
        try AtomicFile.makeDirectories(podLogDir)
        let logPath = "\(podLogDir)/\(restartCount).log"
        if let cwd = container.workingDir, !cwd.isEmpty {
            try AtomicFile.makeDirectories(MountNamespace.hostPath(of: cwd, in: mounts))
        }
        // The /var/log/containers link is made before the start, as upstream's runtime makes it between creating and
        // starting a container: whoever sees the first line of the log finds the link too. The log file exists first,
        // so the link never dangles (the log collector removes dangling ones).
        let logFile = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        if logFile >= 0 { close(logFile) }
        try? AtomicFile.makeDirectories(settings.containerLogsDir)
        let link = "\(settings.containerLogsDir)/\(pod.name)_\(pod.namespace)_\(container.name)-\(id).log"
        unlink(link)
        symlink(logPath, link)
        let started: HostProcess
        do {
            started = try HostProcess.spawn(argv: argv, environment: env.map { "\($0.0)=\($0.1)" }, workingDir: container.workingDir,
                                            mounts: mounts)
        } catch {
            unlink(link)
            throw error
        }
        let startedAt = Date()
        _ = ContainerLogWriter(path: logPath, stdoutFD: started.stdoutRead, stderrFD: started.stderrRead,
                               maxSize: settings.containerLogMaxSize, maxFiles: settings.containerLogMaxFiles)
        if let previous = containerID {
            unlink("\(settings.containerLogsDir)/\(pod.name)_\(pod.namespace)_\(container.name)-\(previous).log")
        }
        process = started
        containerID = id
        let checkpoint = ContainerCheckpoint(podUID: pod.uid, podFullName: pod.fullName, containerName: container.name,
                                             containerID: id, pid: started.pid, startTicks: started.startTicks,
                                             restartCount: restartCount, startedAt: RFC3339.format(startedAt),
                                             logPath: logPath, source: pod.source.rawValue)
        do { try context.checkpoints.save(checkpoint) } catch {
            logger.warning("could not record the container in the root dir; a kubelet restart would start it again: \(error)")
        }
        logger.info("Started container", metadata: ["pid": "\(started.pid)", "image": "\(container.image ?? "")", "log": "\(logPath)"])
        event("Normal", "Pulled", "Container image \"\(container.image ?? "")\" already present on machine")
        event("Normal", "Created", "Created container: \(container.name)")
        event("Normal", "Started", "Started container \(container.name)")
        return startedAt
    }

    private func startProbes(for running: HostProcess) -> Task<Void, Never>? {
        let task = ContainerProbes.start(container, prober: context.prober.inContainer(pid: running.pid), logger: logger,
                                         event: { await self.event($0, $1, $2) }, started: { await self.setStarted() },
                                         ready: { await self.setReady($0) },
                                         failed: { await self.restartAfterProbeFailure(running, probe: $0, kind: $1) })
        if task == nil { ready = true }
        return task
    }

    private func setStarted() { started = true }

    private func setReady(_ value: Bool) {
        if value != ready { logger.debug("readiness changed", metadata: ["ready": "\(value)"]) }
        ready = value
    }

    private func restartAfterProbeFailure(_ running: HostProcess, probe: Probe, kind: String) async {
        guard !stopping, process?.pid == running.pid else { return }
        logger.info("Container \(container.name) failed \(kind) probe, will be restarted", metadata: ["pid": "\(running.pid)"])
        event("Normal", "Killing", "Container \(container.name) failed \(kind) probe, will be restarted")
        let grace = Double(probe.terminationGracePeriodSeconds ?? pod.pod.spec.terminationGracePeriodSeconds ?? 30)
        await Self.terminate(running, grace: grace, logger: logger)
    }

    /// Stops supervising without touching the process (the kubelet is going away and leaves its pods running).
    func detach() {
        stopping = true
        probes?.cancel()
        loop?.cancel()
    }

    /// Stops the container for good: SIGTERM to its process group, SIGKILL after `grace` seconds.
    func stop(grace: Double) async {
        stopping = true
        probes?.cancel()
        if let running = process, running.isAlive {
            logger.info("Killing container with a grace period", metadata: ["pid": "\(running.pid)", "gracePeriod": "\(Int(grace))"])
            event("Normal", "Killing", "Stopping container \(container.name)")
            await Self.terminate(running, grace: grace, logger: logger)
        }
        loop?.cancel()
        _ = await loop?.value
    }

    static func terminate(_ running: HostProcess, grace: Double, logger: Logger) async {
        running.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while running.isAlive && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if running.isAlive {
            logger.warning("container did not stop within its grace period; sending SIGKILL", metadata: ["pid": "\(running.pid)"])
            running.signal(SIGKILL)
        }
    }

    /// Sleeps unless the container is being stopped; returns false when it was.
    private func sleepUnlessStopped(seconds: Double) async -> Bool {
        do { try await Task.sleep(for: .seconds(seconds)) } catch { return false }
        return !stopping
    }

    static func newContainerID() -> String {
        Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255) })
    }
}

/// What containers share on a node.
struct RuntimeContext: Sendable {
    let settings: KubeletSettings
    let checkpoints: CheckpointStore
    let prober: Prober
    let logger: Logger
    let hostname: String
    var events: PodEventSink? = nil
    /// The node's API client; nil when the kubelet runs standalone.
    var api: (any KubernetesClient)? = nil
    /// The longest wait between attempts to configure a container whose ConfigMap or Secret is missing (upstream's
    /// pod worker backoff); the waits grow from one second.
    var configErrorMaxDelay: Double = 10
    /// The pods' volumes and what each container mounts.
    let volumes: VolumeManager
}
