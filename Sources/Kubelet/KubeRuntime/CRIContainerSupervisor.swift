import CRIClient
import FoundationEssentials
import Glibc
import KubeAPI
import Logging

/// Which of a pod's container lists a container comes from: it decides restarts and, for an ephemeral container with a
/// target, whose process namespace it joins.
enum ContainerRole: Sendable, Equatable {
    case regular, initContainer
    /// `kubectl debug`'s container: run once, never restarted; `targetID` finds the running target's container ID.
    case ephemeral(target: String?)

    var isEphemeral: Bool { if case .ephemeral = self { return true }; return false }
}

/// A CRI container the kubelet finds in the runtime after a restart (upstream's kubelet relists the runtime).
struct AdoptedContainer: Sendable {
    var id: String
    var restartCount: Int
    var running: Bool
}

/// Runs one container of a CRI pod through the runtime and keeps it running according to the pod's restart
/// policy: image pull (policy, backoff), CreateContainer/StartContainer in the pod's sandbox, status read again
/// whenever the node's relist (`ContainerRelister`, upstream's PLEG) shows the container changed, restarts with CrashLoopBackOff, probes (exec through ExecSync), and
/// StopContainer with the grace period.
actor CRIContainerSupervisor {
    let container: Container
    let pod: KubeletPod
    let context: RuntimeContext
    let cri: KubeGenericRuntime
    let role: ContainerRole
    private let sandbox: @Sendable () async -> (id: String, config: Runtime_V1_PodSandboxConfig, ips: [String])?
    /// The running container of a name in the same pod, for an ephemeral container's target.
    private let runningContainerID: @Sendable (String) async -> String?
    private let logger: Logger

    private(set) var state: ContainerState = .waiting(reason: "ContainerCreating", message: nil)
    private(set) var restartCount = 0
    private(set) var ready = false
    private var backoff = CrashLoopBackOff()
    private var containerID: String?
    private var imageID = ""
    private var stopping = false
    private var loop: Task<ExitStatus?, Never>?
    private var probes: Task<Void, Never>?
    private var lastTermination: ContainerStatusSnapshot.Termination?
    private var started = false
    /// The previous attempt's container, kept (as upstream keeps one) for `kubectl logs --previous`.
    private var previousID: String?

    init(container: Container, pod: KubeletPod, context: RuntimeContext, cri: KubeGenericRuntime, role: ContainerRole,
         sandbox: @escaping @Sendable () async -> (id: String, config: Runtime_V1_PodSandboxConfig, ips: [String])?,
         runningContainerID: @escaping @Sendable (String) async -> String? = { _ in nil }) {
        self.container = container
        self.pod = pod
        self.context = context
        self.cri = cri
        self.role = role
        self.sandbox = sandbox
        self.runningContainerID = runningContainerID
        var logger = context.logger
        logger[metadataKey: "pod"] = "\(pod.namespace)/\(pod.name)"
        logger[metadataKey: "container"] = "\(container.name)"
        self.logger = logger
    }

    var snapshot: ContainerStatusSnapshot {
        // An ephemeral container is never counted ready (upstream's prober leaves it out).
        ContainerStatusSnapshot(name: container.name, state: state, restartCount: restartCount, ready: ready && !role.isEphemeral,
                                pid: nil, containerID: containerID, image: container.image ?? "",
                                lastTermination: lastTermination, started: started, runtimeName: cri.runtimeName,
                                imageID: imageID)
    }

    private func event(_ type: String, _ reason: String, _ message: String) {
        context.events?.emit(PodEvent(podUID: pod.uid, container: container.name, type: type, reason: reason, message: message,
                                      initContainer: role == .initContainer, ephemeralContainer: role.isEphemeral))
    }

    func start(adopting adopted: AdoptedContainer?) {
        guard loop == nil else { return }
        loop = Task { await self.superviseLoop(adopting: adopted) }
    }

    func waitUntilDone() async -> ExitStatus? { await loop?.value }

    private func superviseLoop(adopting adopted: AdoptedContainer?) async -> ExitStatus? {
        var adopt = adopted
        // An ephemeral container that ended while the kubelet was away is reported as it ended, not run again.
        let reattach = { (container: AdoptedContainer) in container.running || self.role.isEphemeral }
        if let adopted { restartCount = reattach(adopted) ? adopted.restartCount : adopted.restartCount + 1 }
        while !stopping && !Task.isCancelled {
            let id: String
            if let existing = adopt, reattach(existing) {
                id = existing.id
                containerID = id
                logger.info("re-attached to the runtime's running container", metadata: ["containerID": "\(id)"])
            } else {
                if let existing = adopt { previousID = existing.id }
                guard let created = await createAndStart() else {
                    if !(await sleepUnlessStopped(seconds: retryDelay)) { break }
                    continue
                }
                id = created
            }
            adopt = nil
            guard let (startedAt, status) = await waitForExit(id) else { break }
            probes?.cancel()
            probes = nil
            ready = false
            started = false
            let reason = status.reason.isEmpty ? (status.exitCode == 0 ? "Completed" : "Error") : status.reason
            let finishedAt = status.finishedAt > 0 ? Date(timeIntervalSince1970: Double(status.finishedAt) / 1e9) : Date()
            // How long it ran by the runtime's own clock, as upstream's backoff reads it.
            let ranFor = max(0, finishedAt.timeIntervalSince(startedAt))
            state = .terminated(exitCode: status.exitCode, reason: reason, finishedAt: finishedAt)
            lastTermination = .init(exitCode: status.exitCode, reason: reason, startedAt: startedAt, finishedAt: finishedAt,
                                    containerID: id)
            if stopping { return .exited(status.exitCode) }
            logger.info("container exited", metadata: ["exitCode": "\(status.exitCode)", "reason": "\(reason)", "ranFor": "\(Int(ranFor))s"])
            // Init containers of an Always pod are retried until they succeed; ephemeral containers never restart.
            let policy = switch role {
            case .initContainer where pod.restartPolicy == "Always": "OnFailure"
            case .ephemeral: "Never"
            default: pod.restartPolicy
            }
            let restart = policy == "Always" || (policy == "OnFailure" && status.exitCode != 0)
            if !restart { return .exited(status.exitCode) }
            let delay = backoff.delay(afterRunning: ranFor)
            if delay > 0 {
                state = .waiting(reason: "CrashLoopBackOff",
                                 message: "back-off \(Int(backoff.current))s restarting failed container=\(container.name) pod=\(pod.name)_\(pod.namespace)(\(pod.uid))")
                event("Warning", "BackOff", "Back-off restarting failed container \(container.name) in pod \(pod.name)_\(pod.namespace)(\(pod.uid))")
                if !(await sleepUnlessStopped(seconds: delay)) { break }
            }
            restartCount += 1
        }
        return nil
    }

    /// How long to wait before trying again after a failed create (image, config, runtime error).
    private var retryDelay: Double = 1

    /// The next wait after a failure: doubled, at least `floor`, at most `cap`.
    private func backOffRetry(from floor: Double, upTo cap: Double) {
        retryDelay = min(max(retryDelay * 2, floor), cap)
    }

    /// Pulls the image if needed, creates and starts the container; nil (with state and events set) on failure.
    private func createAndStart() async -> String? {
        guard let sandbox = await sandbox() else {
            state = .waiting(reason: "ContainerCreating", message: nil)
            retryDelay = 2
            return nil
        }
        let imageRef: String
        do {
            imageRef = try await cri.images.ensureImage(container, pod: pod, context: context, event: { type, reason, message in
                Task { await self.event(type, reason, message) }
            })
        } catch {
            state = .waiting(reason: error.reason, message: error.message)
            event("Warning", "Failed", "Error: \(error.reason)")
            // The image manager's own backoff decides when a pull is tried again; look again soon.
            retryDelay = error.reason == "ErrImageNeverPull" || error.reason == "InvalidImageName" ? 20 : 5
            return nil
        }
        // The image brings PATH and HOME and the runtime sets HOSTNAME: only the pod's own variables are passed.
        let environment: [(String, String)]
        do {
            environment = try await ContainerEnvironment.resolve(container: container, pod: pod, context: context,
                                                                  podIPs: sandbox.ips.isEmpty ? nil : sandbox.ips)
        } catch {
            state = .waiting(reason: "CreateContainerConfigError", message: error.message)
            event("Warning", "Failed", "Error: \(error.message)")
            backOffRetry(from: 1, upTo: 10)
            return nil
        }
        let mounts: [ContainerMount]
        do { mounts = try await context.volumes.mounts(for: pod, container: container, environment: environment) } catch {
            state = .waiting(reason: "CreateContainerConfigError", message: "\(error)")
            logger.error("CreateContainerConfigError: \(error)")
            event("Warning", "Failed", "Error: \(error)")
            backOffRetry(from: 2, upTo: 60)
            return nil
        }
        var targetID: String?
        if case .ephemeral(let target?) = role, !target.isEmpty {
            // upstream's getTargetID: the target must be running to lend its process namespace.
            guard let id = await runningContainerID(target) else {
                let message = "unable to find target container \(target)"
                state = .waiting(reason: "CreateContainerConfigError", message: message)
                event("Warning", "Failed", "Error: \(message)")
                backOffRetry(from: 2, upTo: 30)
                return nil
            }
            targetID = id
        }
        let config = ContainerConfigBuilder.build(container, pod: pod, imageRef: imageRef, attempt: restartCount,
                                                  environment: environment, mounts: mounts, namespaceTarget: targetID)
        var request = Runtime_V1_CreateContainerRequest()
        request.podSandboxID = sandbox.id
        request.config = config
        request.sandboxConfig = sandbox.config
        let id: String
        do {
            id = try await cri.runtime.createContainer(request, timeout: .seconds(240)).containerID
        } catch {
            state = .waiting(reason: "CreateContainerError", message: "\(error)")
            logger.error("CreateContainer failed: \(error)")
            event("Warning", "Failed", "Error: \(error)")
            backOffRetry(from: 2, upTo: 60)
            return nil
        }
        event("Normal", "Created", "Created container: \(container.name)")
        var startRequest = Runtime_V1_StartContainerRequest()
        startRequest.containerID = id
        do {
            _ = try await cri.runtime.startContainer(startRequest, timeout: .seconds(240))
        } catch {
            state = .waiting(reason: "RunContainerError", message: "\(error)")
            logger.error("StartContainer failed: \(error)")
            event("Warning", "Failed", "Error: \(error)")
            await remove(id)
            backOffRetry(from: 2, upTo: 60)
            return nil
        }
        retryDelay = 1
        event("Normal", "Started", "Started container \(container.name)")
        logger.info("Started container", metadata: ["containerID": "\(id)", "image": "\(container.image ?? "")"])
        linkLog(id: id)
        // One dead container per name is kept for `kubectl logs --previous`; older ones go.
        if let old = previousID { await remove(old) }
        previousID = containerID
        containerID = id
        return id
    }

    /// `/var/log/containers/<pod>_<namespace>_<container>-<id>.log` → the CRI log file, as upstream's kubelet links it.
    private func linkLog(id: String) {
        let settings = context.settings
        let target = "\(settings.podLogsDir)/\(pod.namespace)_\(pod.name)_\(pod.uid)/\(container.name)/\(restartCount).log"
        let link = "\(settings.containerLogsDir)/\(pod.name)_\(pod.namespace)_\(container.name)-\(id).log"
        mkdir(settings.containerLogsDir, 0o755)
        unlink(link)
        symlink(target, link)
        if let previous = containerID {
            unlink("\(settings.containerLogsDir)/\(pod.name)_\(pod.namespace)_\(container.name)-\(previous).log")
        }
    }

    private func remove(_ id: String) async {
        var request = Runtime_V1_RemoveContainerRequest()
        request.containerID = id
        do { _ = try await cri.runtime.removeContainer(request, timeout: .seconds(60)) } catch {
            logger.warning("RemoveContainer failed: \(error)", metadata: ["containerID": "\(id)"])
        }
    }

    /// Follows the container until it has exited: its status once, then again each time the node's relist shows its
    /// state changed; nil when supervision stops first.
    private func waitForExit(_ id: String) async -> (Date, Runtime_V1_ContainerStatus)? {
        var request = Runtime_V1_ContainerStatusRequest()
        request.containerID = id
        var startedAt = Date()
        var running = false
        var failures = 0
        while !Task.isCancelled {
            do {
                let status = try await cri.runtime.containerStatus(request, timeout: .seconds(30)).status
                failures = 0
                if status.startedAt > 0 { startedAt = Date(timeIntervalSince1970: Double(status.startedAt) / 1e9) }
                if !status.imageRef.isEmpty { imageID = status.imageRef }
                switch status.state {
                case .containerExited:
                    return (startedAt, status)
                case .containerRunning:
                    if !running {
                        running = true
                        state = .running(startedAt: startedAt)
                        started = container.startupProbe == nil
                        probes = await startProbes(containerID: id)
                    }
                default:
                    break
                }
                await cri.relister.waitForChange(of: id, from: status.state)
                if stopping { return nil }
                continue
            } catch let error as GRPCStatus where error.code == .notFound {
                // Removed behind the kubelet's back (`crictl rm -f`): counted as an unknown exit, as upstream.
                var status = Runtime_V1_ContainerStatus()
                status.exitCode = 137
                status.reason = "ContainerStatusUnknown"
                status.message = "The container could not be located when the pod was terminated"
                return (startedAt, status)
            } catch {
                failures += 1
                if failures == 1 || failures % 30 == 0 { logger.warning("ContainerStatus from the runtime failed: \(error)") }
            }
            if !(await sleepUnlessStopped(seconds: 1)) { return nil }
        }
        return nil
    }

    private func startProbes(containerID id: String) async -> Task<Void, Never>? {
        guard container.startupProbe != nil || container.livenessProbe != nil || container.readinessProbe != nil else {
            ready = true
            return nil
        }
        let runtime = cri.runtime
        let podIP = await sandbox()?.ips.first ?? "127.0.0.1"
        let prober = context.prober.forContainer(podIP: podIP) { command, timeout in
            var request = Runtime_V1_ExecSyncRequest()
            request.containerID = id
            request.cmd = command
            request.timeout = max(1, Self.wholeSeconds(timeout))
            do {
                let response = try await runtime.execSync(request, timeout: .seconds(max(1, Self.wholeSeconds(timeout)) + 5))
                if response.exitCode == 0 { return .success }
                let output = String(decoding: response.stdout + response.stderr, as: UTF8.self)
                return .failure(output.isEmpty ? "command \(command) exited with \(response.exitCode)" : output)
            } catch {
                return .failure("\(error)")
            }
        }
        let task = ContainerProbes.start(container, prober: prober, logger: logger,
                                         event: { await self.event($0, $1, $2) }, started: { await self.setStarted() },
                                         ready: { await self.setReady($0) },
                                         failed: { await self.restartAfterProbeFailure(id, probe: $0, kind: $1) })
        if task == nil { ready = true }
        return task
    }

    private func setStarted() { started = true }
    private func setReady(_ value: Bool) { ready = value }

    private func restartAfterProbeFailure(_ id: String, probe: Probe, kind: String) async {
        guard !stopping, containerID == id else { return }
        event("Normal", "Killing", "Container \(container.name) failed \(kind) probe, will be restarted")
        let grace = Double(probe.terminationGracePeriodSeconds ?? pod.pod.spec.terminationGracePeriodSeconds ?? 30)
        await stopContainer(id, grace: grace)
    }

    private func stopContainer(_ id: String, grace: Double) async {
        var request = Runtime_V1_StopContainerRequest()
        request.containerID = id
        request.timeout = Self.wholeSeconds(grace)
        do { _ = try await cri.runtime.stopContainer(request, timeout: .seconds(Self.wholeSeconds(grace) + 30)) } catch {
            logger.warning("StopContainer failed: \(error)", metadata: ["containerID": "\(id)"])
        }
    }

    /// Stops the running container without ending supervision: the restart policy decides what follows (the pod's
    /// sandbox went away and the container starts again in the next one).
    func kill(grace: Double) async {
        guard !stopping, let id = containerID, state.isRunning else { return }
        // A probe failing during the grace period would stop it a second time.
        probes?.cancel()
        probes = nil
        await stopContainer(id, grace: grace)
    }

    /// Stops supervising; the container keeps running for the next kubelet to find.
    func detach() {
        stopping = true
        probes?.cancel()
        loop?.cancel()
    }

    /// Stops the container for good (StopContainer with the grace period) and removes it.
    func stop(grace: Double) async {
        stopping = true
        probes?.cancel()
        if let id = containerID, state.isRunning {
            event("Normal", "Killing", "Stopping container \(container.name)")
            await stopContainer(id, grace: grace)
        }
        loop?.cancel()
        _ = await loop?.value
    }

    private func sleepUnlessStopped(seconds: Double) async -> Bool {
        do { try await Task.sleep(for: .seconds(seconds)) } catch { return false }
        return !stopping
    }
}

extension CRIContainerSupervisor {
    /// A grace period or timeout from the pod spec in whole seconds for the CRI: never negative, and a huge value
    /// (terminationGracePeriodSeconds is any int64) capped rather than trapping in the conversion or the `+ 30`.
    static func wholeSeconds(_ seconds: Double) -> Int64 {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int64(min(seconds, 1e9))
    }
}
