import FoundationEssentials
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// Registers the Node and keeps its status current, as upstream's kubelet does: status is computed every
/// `nodeStatusUpdateFrequency` (10 s) and posted when it changed or every `nodeStatusReportFrequency` (5 min).
/// Registration goes through the rate-limited client, status through the heartbeat one (as upstream's kubelet).
/// Failures are retried with backoff; the kubelet's pods never depend on the apiserver answering.
actor NodeStatusReporter {
    let api: KubeletAPIClient
    let nodeName: String
    let settings: KubeletSettings
    let version: String
    let logger: Logger
    private(set) var nodeUID: String?
    private var lastPosted: JSONValue?
    private var lastPostTime: Date = .distantPast
    private var transitions: [String: (status: String, time: String)] = [:]
    private var failures = 0
    /// status.nodeInfo.containerRuntimeVersion: the CRI runtime's (`containerd://1.6.20`) once the kubelet is
    /// connected to one.
    private(set) var runtimeVersion = HostInfo.hostProcessRuntimeVersion

    /// Why the container runtime keeps the node from being Ready (RuntimeState's words), nil when it does not.
    private(set) var runtimeProblem: String?

    func setRuntime(version: String, problem: String?) {
        runtimeVersion = version
        runtimeProblem = problem
    }

    init(api: KubeletAPIClient, nodeName: String, settings: KubeletSettings, version: String, logger: Logger) {
        self.api = api
        self.nodeName = nodeName
        self.settings = settings
        self.version = version
        self.logger = logger
    }

    var labels: JSONValue {
        ["kubernetes.io/hostname": .string(nodeName), "kubernetes.io/os": "linux", "kubernetes.io/arch": .string(HostInfo.architecture),
         "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": .string(HostInfo.architecture)]
    }

    func status() -> JSONValue {
        let now = RFC3339.format(Date().timeIntervalSince1970)
        let pressure = HostInfo.pressure(rootDir: settings.rootDir)
        func condition(_ type: String, _ on: Bool, _ reasonOn: String, _ reasonOff: String, _ messageOn: String, _ messageOff: String) -> JSONValue {
            let status = type == "Ready" ? (on ? "True" : "False") : (on ? "True" : "False")
            if transitions[type]?.status != status { transitions[type] = (status, now) }
            return ["type": .string(type), "status": .string(status), "lastHeartbeatTime": .string(now),
                    "lastTransitionTime": .string(transitions[type]?.time ?? now),
                    "reason": .string(on ? reasonOn : reasonOff), "message": .string(on ? messageOn : messageOff)]
        }
        let capacity = HostInfo.capacity(rootDir: settings.rootDir, maxPods: 110)
        var addresses: [JSONValue] = []
        if let ip = settings.nodeIP ?? HostInfo.primaryIPv4() { addresses.append(["type": "InternalIP", "address": .string(ip)]) }
        addresses.append(["type": "Hostname", "address": .string(nodeName)])
        return [
            "capacity": capacity, "allocatable": capacity,
            "conditions": [
                condition("MemoryPressure", pressure.memory, "KubeletHasInsufficientMemory", "KubeletHasSufficientMemory",
                          "kubelet has insufficient memory available", "kubelet has sufficient memory available"),
                condition("DiskPressure", pressure.disk, "KubeletHasDiskPressure", "KubeletHasNoDiskPressure",
                          "kubelet has disk pressure", "kubelet has no disk pressure"),
                condition("PIDPressure", pressure.pid, "KubeletHasInsufficientPID", "KubeletHasSufficientPID",
                          "kubelet has insufficient PID available", "kubelet has sufficient PID available"),
                condition("Ready", !pressure.memory && !pressure.disk && runtimeProblem == nil, "KubeletReady", "KubeletNotReady",
                          "kubelet is posting ready status", runtimeProblem ?? "node is under resource pressure"),
            ],
            "addresses": .array(addresses),
            "daemonEndpoints": ["kubeletEndpoint": ["Port": .int(Int64(settings.port))]],
            "nodeInfo": HostInfo.nodeInfo(kubeletVersion: version, containerRuntimeVersion: runtimeVersion),
        ]
    }

    /// Creates the Node, or adopts the existing one. Returns once registered (retrying with backoff).
    func register() async {
        var delay = 0.2
        while !Task.isCancelled {
            do {
                let node: JSONValue = ["apiVersion": "v1", "kind": "Node",
                                       "metadata": ["name": .string(nodeName), "labels": labels],
                                       "spec": .emptyObject, "status": status()]
                let client = api.client
                do {
                    let created = try await client.create(.nodes, node)
                    nodeUID = created.metaUIDOrNil
                    logger.info("Successfully registered node", metadata: ["node": "\(nodeName)"])
                } catch let failure as APIError where failure.isConflictOrExists {
                    let existing = try await client.get(.nodes, name: nodeName)
                    nodeUID = existing.metaUIDOrNil
                    _ = try await client.patch(.nodes, name: nodeName, type: .merge, ["metadata": ["labels": labels]])
                    logger.info("Node was previously registered", metadata: ["node": "\(nodeName)"])
                }
                lastPosted = nil
                return
            } catch {
                logger.warning("Unable to register node with API server, retrying in \(oneDecimal(delay))s: \(error)")
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                delay = min(delay * 2, 7)
            }
        }
    }

    /// Posts the status if it changed (ignoring heartbeat times) or if the report period passed.
    func syncStatus(force: Bool = false) async {
        let current = status()
        let comparable = Self.withoutHeartbeats(current)
        let due = Date().timeIntervalSince(lastPostTime) >= 300
        guard force || due || lastPosted != comparable else { return }
        do {
            _ = try await api.heartbeat.patch(.nodes, namespace: nil, name: nodeName, type: .merge, body: ["status": current],
                                              subresource: "status")
            lastPosted = comparable
            lastPostTime = Date()
            failures = 0
        } catch let failure as APIError where failure.isNotFound {
            failures = 0
            logger.warning("node \(nodeName) is gone from the API server; registering again")
            await register()
        } catch {
            failures += 1
            logger.warning("Error updating node status, will retry: \(error)")
            await api.heartbeatFailed(error, consecutive: failures)
        }
    }

    static func withoutHeartbeats(_ status: JSONValue) -> JSONValue {
        var s = status
        if let conditions = s["conditions"]?.array {
            s["conditions"] = .array(conditions.map { var c = $0; c["lastHeartbeatTime"] = nil; return c })
        }
        return s
    }
}

extension JSONValue {
    var metaUIDOrNil: String? { metaUID.isEmpty ? nil : metaUID }
}

