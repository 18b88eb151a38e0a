import FoundationEssentials
import Logging

/// The kubelet's side of the cluster, with `--kubeconfig`: registers the Node and keeps its status, renews the
/// node Lease, keeps a mirror pod with live status for every static pod, and posts events. Everything retries
/// with backoff: the apiserver may well be a static pod this kubelet is (re)starting. All of it goes over the one
/// connection of `KubeletAPIClient`.
public struct NodeAgent: Sendable {
    let client: KubeletAPIClient
    let settings: KubeletSettings
    let version: String
    let logger: Logger
    let events: AsyncStream<PodEvent>

    public init(client: KubeletAPIClient, settings: KubeletSettings, version: String, logger: Logger, events: AsyncStream<PodEvent>) {
        self.client = client
        self.settings = settings
        self.version = version
        self.logger = logger
        self.events = events
    }

    public func run(kubelet: Kubelet) async {
        let node = settings.nodeName
        let reporter = NodeStatusReporter(api: client, nodeName: node, settings: settings, version: version, logger: logger)
        let nodeUID: @Sendable () async -> String? = { await reporter.nodeUID }
        let mirrors = MirrorClient(client: client.client, nodeName: node, logger: logger, nodeUID: nodeUID)
        let apiPods = APIPodStatusReporter(client: client.client, logger: logger)
        let recorder = EventRecorder(client: client.client, nodeName: node, mirrors: mirrors, apiPods: apiPods, logger: logger)
        let lease = NodeLeaseController(api: client, nodeName: node, logger: logger)
        let hostIP = settings.nodeIP ?? HostInfo.primaryIPv4() ?? "127.0.0.1"
        let statusPeriod = settings.nodeStatusUpdateFrequency
        let logger = self.logger
        let events = self.events
        logger.info("Attempting to register node", metadata: ["node": "\(node)", "apiserver": "\(client.server)"])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await event in events { await recorder.record(event) } }
            group.addTask {
                // The kubelet's first look at its runtime takes milliseconds; a runtime that hangs is not waited for.
                let deadline = ContinuousClock.now + .seconds(3)
                while settings.containerRuntimeEndpoint != nil, !(await kubelet.runtimeChecked), ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(20))
                }
                await reporter.setRuntime(version: await kubelet.containerRuntimeVersion, problem: await kubelet.runtimeProblem)
                await reporter.register()
                var lastSync = ContinuousClock.now
                while !Task.isCancelled {
                    // Every period, and as soon as the runtime's health changes (Ready follows it without waiting).
                    try? await Task.sleep(for: .seconds(min(1, statusPeriod)))
                    let problem = await kubelet.runtimeProblem
                    let changed = await reporter.runtimeProblem != problem
                    guard changed || ContinuousClock.now - lastSync >= .seconds(statusPeriod) else { continue }
                    await reporter.setRuntime(version: await kubelet.containerRuntimeVersion, problem: problem)
                    await reporter.syncStatus()
                    lastSync = ContinuousClock.now
                }
            }
            group.addTask { await lease.run(nodeUID: nodeUID) }
            group.addTask {
                // The pods the scheduler binds here run beside the static pods.
                await APIServerPodSource(client: self.client.client, nodeName: node, logger: logger).run { pods in
                    let (run, deleting) = await apiPods.update(pods)
                    await kubelet.setAPIPods(run, deleting: deleting)
                }
            }
            group.addTask {
                var delay = 1.0
                var failures = 0
                var lastError = ""
                while !Task.isCancelled {
                    // Until the sources are read, an empty pod list would delete every mirror pod.
                    if !(await kubelet.hasSynced) {
                        try? await Task.sleep(nanoseconds: 100_000_000)
                        continue
                    }
                    do {
                        let snapshots = await kubelet.podSnapshots()
                        try await mirrors.reconcile(snapshots.filter(\.pod.isStatic), hostIP: hostIP)
                        await apiPods.sync(snapshots.filter { !$0.pod.isStatic }, kubelet: kubelet, hostIP: hostIP)
                        for event in await apiPods.takeEvents() { await recorder.record(event) }
                        await recorder.flush()
                        if !lastError.isEmpty { logger.info("mirror pods in sync again") }
                        lastError = ""
                        failures = 0
                        // Mirror pods wait for the Node's registration: look again soon rather than in a second.
                        delay = await nodeUID() == nil ? 0.05 : 1.0
                    } catch {
                        let text = "\(error)"
                        if text != lastError { logger.warning("Failed to sync mirror pods, will retry: \(text)") }
                        lastError = text
                        // From 0.2 s, as the node's registration: under `bootstrap init` the first failures are the
                        // apiserver starting, and a user runs `kubectl get pods -n kube-system` right after init.
                        delay = min(0.2 * Double(1 << min(failures, 6)), 7)
                        failures += 1
                    }
                    try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                }
            }
            await group.waitForAll()
        }
    }
}
