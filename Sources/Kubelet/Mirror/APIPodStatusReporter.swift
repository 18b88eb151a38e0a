import FoundationEssentials
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// The pods the API bound to this node, as the kubelet's status manager keeps them: their status patched whenever
/// it changes, a pod that cannot run here (no command) reported with its reason, and a deleted pod removed from the
/// API once its containers have stopped (the kubelet's final, zero-grace delete).
actor APIPodStatusReporter {
    let client: any KubernetesClient
    let logger: Logger
    private var pods: [String: JSONValue] = [:]                  // UID → the pod as the API has it
    private var lastStatus: [String: JSONValue] = [:]
    private var transitions: [String: [String: (String, Date)]] = [:]
    /// Pods whose rejection has been told as a `Failed` event (once per pod, as the reason does not change).
    private var rejectionsReported: Set<String> = []
    private var events: [PodEvent] = []

    init(client: any KubernetesClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The latest set from the watch; returns what the kubelet should run and the grace periods of pods being deleted.
    func update(_ latest: [String: JSONValue]) -> (run: [KubeletPod], deleting: [String: Double]) {
        pods = latest
        for uid in lastStatus.keys where latest[uid] == nil { lastStatus[uid] = nil; transitions[uid] = nil }
        rejectionsReported = rejectionsReported.filter { latest[$0] != nil }
        var run: [KubeletPod] = []
        var deleting: [String: Double] = [:]
        for (uid, pod) in latest {
            if pod.metaDeletionTimestamp != nil {
                deleting[uid] = Double(pod[path: ["metadata", "deletionGracePeriodSeconds"]]?.int ?? 30)
                continue
            }
            if case .success(let kubeletPod) = APIServerPodSource.kubeletPod(pod) { run.append(kubeletPod) }
        }
        return (run, deleting)
    }

    /// Namespace and name of an API pod, for events about it.
    func pod(forUID uid: String) -> (namespace: String, name: String, uid: String)? {
        pods[uid].map { ($0.metaNamespace, $0.metaName, uid) }
    }

    func sync(_ snapshots: [PodSnapshot], kubelet: Kubelet, hostIP: String) async {
        let running = Dictionary(snapshots.map { ($0.pod.uid, $0) }, uniquingKeysWith: { a, _ in a })
        for (uid, pod) in pods {
            do {
                if pod.metaDeletionTimestamp != nil {
                    if !(await kubelet.isActive(uid)) { try await finishDeletion(pod) }
                    continue
                }
                var status: JSONValue
                if let snapshot = running[uid] {
                    var t = transitions[uid] ?? [:]
                    status = PodStatusBuilder.build(.init(snapshot, hostIP: hostIP), transitions: &t)
                    transitions[uid] = t
                } else if let rejection = await Self.rejection(of: pod, kubelet: kubelet) {
                    status = Self.rejected(pod, rejection)
                    if rejectionsReported.insert(uid).inserted {
                        let initNames = pod[path: ["spec", "initContainers"]]?.array?.compactMap { $0["name"]?.string } ?? []
                        events.append(PodEvent(podUID: uid, container: rejection.container ?? "", type: "Warning", reason: "Failed",
                                               message: "Error: \(rejection.message)",
                                               initContainer: rejection.container.map(initNames.contains) ?? false))
                    }
                } else {
                    continue   // About to start.
                }
                // Keep what the scheduler wrote.
                let scheduled = pod[path: ["status", "conditions"]]?.array?.first { $0["type"] == "PodScheduled" }
                if let scheduled, var conditions = status["conditions"]?.array {
                    conditions.removeAll { $0["type"] == "PodScheduled" }
                    conditions.append(scheduled)
                    status["conditions"] = .array(conditions)
                }
                guard lastStatus[uid] != status else { continue }
                _ = try await client.patch(.pods, namespace: pod.metaNamespace, name: pod.metaName, type: .merge, body: ["status": status],
                                           subresource: "status")
                lastStatus[uid] = status
            } catch let failure as APIError where failure.isNotFound {
                pods[uid] = nil
            } catch {
                logger.debug("could not update the status of pod \(pod.metaNamespace)/\(pod.metaName): \(error)")
            }
        }
    }

    /// Why the kubelet does not run this pod: it cannot be read, or cannot run where the kubelet would run it.
    private static func rejection(of pod: JSONValue, kubelet: Kubelet) async -> PodRejection? {
        if case .failure(let rejection) = APIServerPodSource.kubeletPod(pod) { return rejection }
        return await kubelet.rejection(of: pod.metaUID)
    }

    /// The events raised by the last syncs (rejected pods), for the event recorder; each is handed out once.
    func takeEvents() -> [PodEvent] {
        defer { events = [] }
        return events
    }

    private func finishDeletion(_ pod: JSONValue) async throws {
        do {
            try await client.delete(.pods, namespace: pod.metaNamespace, name: pod.metaName,
                                    options: DeleteOptions(gracePeriodSeconds: 0, preconditionUID: pod.metaUID))
            logger.info("Pod deleted after its containers stopped", metadata: ["pod": "\(pod.metaNamespace)/\(pod.metaName)"])
        } catch let failure as APIError where failure.isNotFound || failure.isConflictOrExists {}
        pods[pod.metaUID] = nil
    }

    /// Pending, with each container waiting for the reason the pod cannot start (kubectl shows it as the STATUS).
    static func rejected(_ pod: JSONValue, _ rejection: PodRejection) -> JSONValue {
        let containers = pod[path: ["spec", "containers"]]?.array ?? []
        let statuses: [JSONValue] = containers.map { c in
            ["name": c["name"] ?? "", "image": c["image"] ?? "", "imageID": "", "ready": false, "restartCount": 0, "started": false,
             "state": ["waiting": ["reason": .string(rejection.reason), "message": .string(rejection.message)]]]
        }
        return [
            "phase": "Pending",
            "conditions": [["type": "Ready", "status": "False", "reason": "ContainersNotReady", "lastProbeTime": .null,
                            "message": .string("containers with unready status: [\(containers.compactMap { $0["name"]?.string }.joined(separator: " "))]")]],
            "containerStatuses": .array(statuses),
        ]
    }
}
