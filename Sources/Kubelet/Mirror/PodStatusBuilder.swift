import FoundationEssentials
import KubeAPI
import KubeJSON

/// core/v1 PodStatus as upstream's kubelet computes it for a running static pod (host network: pod IP = host IP).
enum PodStatusBuilder {
    struct Input {
        var pod: KubeletPod
        var initStatuses: [ContainerStatusSnapshot]
        var statuses: [ContainerStatusSnapshot]
        var startTime: Date
        var hostIP: String
        /// The sandbox's IPs for a pod on the pod network; empty for host-process and hostNetwork pods (the host's).
        var podIPs: [String] = []
        var ephemeralStatuses: [ContainerStatusSnapshot] = []
    }

    static func time(_ d: Date) -> JSONValue { .string(RFC3339.format(d.timeIntervalSince1970)) }

    static func containerStatus(_ s: ContainerStatusSnapshot) -> JSONValue {
        var state: JSONValue
        switch s.state {
        case .waiting(let reason, let message):
            var w: JSONValue = ["reason": .string(reason)]
            if let message { w["message"] = .string(message) }
            state = ["waiting": w]
        case .running(let startedAt):
            state = ["running": ["startedAt": time(startedAt)]]
        case .terminated(let exitCode, let reason, let finishedAt):
            var t: JSONValue = ["exitCode": .int(Int64(exitCode)), "reason": .string(reason), "finishedAt": time(finishedAt)]
            if let id = s.containerID { t["containerID"] = .string("\(s.runtimeName)://\(id)") }
            if let last = s.lastTermination { t["startedAt"] = time(last.startedAt) }
            state = ["terminated": t]
        }
        var out: JSONValue = [
            "name": .string(s.name), "state": state, "ready": .bool(s.ready), "restartCount": .int(Int64(s.restartCount)),
            "image": .string(s.image), "imageID": .string(s.imageID), "started": .bool(s.state.isRunning && s.started), "lastState": .emptyObject,
        ]
        if let id = s.containerID { out["containerID"] = .string("\(s.runtimeName)://\(id)") }
        // lastState is the run before the current one (the current one, if terminated, is in state).
        if let last = s.lastTermination, !(s.state.isTerminated) {
            var t: JSONValue = ["exitCode": .int(Int64(last.exitCode)), "reason": .string(last.reason),
                                "startedAt": time(last.startedAt), "finishedAt": time(last.finishedAt)]
            if let id = last.containerID { t["containerID"] = .string("\(s.runtimeName)://\(id)") }
            out["lastState"] = ["terminated": t]
        }
        return out
    }

    static func phase(_ input: Input) -> String {
        let statuses = input.statuses
        // A container that has not run yet (creating, or waiting on its configuration) keeps the pod Pending, as
        // upstream's getPhase counts it; one waiting after a run (CrashLoopBackOff) counts as stopped.
        let neverRan = statuses.contains { if case .waiting = $0.state { return $0.lastTermination == nil }; return false }
        if statuses.isEmpty || neverRan {
            return "Pending"
        }
        if statuses.contains(where: { $0.state.isRunning }) { return "Running" }
        let policy = input.pod.restartPolicy
        let allTerminated = statuses.allSatisfy(\.state.isTerminated)
        if allTerminated, policy != "Always" {
            let succeeded = statuses.allSatisfy { if case .terminated(let code, _, _) = $0.state { return code == 0 }; return false }
            if policy == "Never" || succeeded { return succeeded ? "Succeeded" : "Failed" }
        }
        // Restarting containers (CrashLoopBackOff) keep the pod Running, as upstream reports it.
        return "Running"
    }

    /// `transitions` remembers when each condition last changed, across calls.
    static func build(_ input: Input, transitions: inout [String: (String, Date)]) -> JSONValue {
        let now = Date()
        func condition(_ type: String, _ ok: Bool) -> JSONValue {
            let status = ok ? "True" : "False"
            if transitions[type]?.0 != status { transitions[type] = (status, now) }
            var c: JSONValue = ["type": .string(type), "status": .string(status), "lastProbeTime": .null,
                                "lastTransitionTime": time(transitions[type]?.1 ?? now)]
            if !ok, type == "Ready" || type == "ContainersReady" {
                let notReady = input.statuses.filter { !$0.ready }.map(\.name)
                c["reason"] = "ContainersNotReady"
                c["message"] = .string("containers with unready status: [\(notReady.joined(separator: " "))]")
            }
            return c
        }
        let initialized = input.initStatuses.allSatisfy { if case .terminated(let code, _, _) = $0.state { return code == 0 }; return false }
        let allReady = !input.statuses.isEmpty && input.statuses.allSatisfy(\.ready)
        let sandbox = input.statuses.contains { $0.state.isRunning } || !input.statuses.isEmpty
        var status: JSONValue = [
            "phase": .string(phase(input)),
            "conditions": [
                condition("PodReadyToStartContainers", sandbox), condition("Initialized", initialized),
                condition("Ready", allReady), condition("ContainersReady", allReady), condition("PodScheduled", true),
            ],
            "hostIP": .string(input.hostIP), "hostIPs": [["ip": .string(input.hostIP)]],
            "podIP": .string(input.podIPs.first ?? input.hostIP),
            "podIPs": .array((input.podIPs.isEmpty ? [input.hostIP] : input.podIPs).map { ["ip": .string($0)] }),
            "startTime": time(input.startTime),
            "containerStatuses": .array(input.statuses.map(containerStatus)),
            "qosClass": .string(qosClass(input.pod)),
        ]
        if !input.initStatuses.isEmpty { status["initContainerStatuses"] = .array(input.initStatuses.map(containerStatus)) }
        if !input.ephemeralStatuses.isEmpty {
            status["ephemeralContainerStatuses"] = .array(input.ephemeralStatuses.map(containerStatus))
        }
        return status
    }

    static func qosClass(_ pod: KubeletPod) -> String {
        var anyResources = false
        var guaranteed = true
        for c in pod.pod.spec.containers {
            let requests = c.resources?.requests ?? [:]
            let limits = c.resources?.limits ?? [:]
            if !requests.isEmpty || !limits.isEmpty { anyResources = true }
            for r in ["cpu", "memory"] {
                guard let limit = limits[r] else { guaranteed = false; continue }
                if let request = requests[r], request != limit { guaranteed = false }
            }
        }
        if !anyResources { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }
}

extension ContainerState {
    var isTerminated: Bool { if case .terminated = self { return true }; return false }
}

extension PodStatusBuilder.Input {
    /// A running pod's status input from the kubelet's snapshot.
    init(_ snapshot: PodSnapshot, hostIP: String) {
        self.init(pod: snapshot.pod, initStatuses: snapshot.initStatuses, statuses: snapshot.statuses, startTime: snapshot.startTime,
                  hostIP: hostIP, podIPs: snapshot.podIPs, ephemeralStatuses: snapshot.ephemeralStatuses)
    }
}
