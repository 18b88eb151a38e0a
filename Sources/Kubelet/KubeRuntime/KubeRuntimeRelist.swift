import CRIClient
import KubeClient
import Logging

extension ResourceType {
    static let runtimeClasses = ResourceType(group: "node.k8s.io", version: "v1", resource: "runtimeclasses", kind: "RuntimeClass",
                                             namespaced: false)
}

/// What the kubelet finds in the runtime when it starts: its pods' sandboxes (by the `io.kubernetes.pod.uid`
/// label) with their newest container of each name, so running pods are re-attached instead of restarted.
enum KubeRuntimeRelist {
    /// Throws when the runtime cannot be listed: starting pods without knowing what runs would start them twice.
    static func sandboxes(_ runtime: any RuntimeService, logger: Logger) async throws -> [String: AdoptedSandbox] {
        let sandboxes = try await runtime.listPodSandbox(.init(), timeout: .seconds(60)).items
        let containers = try await runtime.listContainers(.init(), timeout: .seconds(60)).containers
        var out: [String: AdoptedSandbox] = [:]
        var created: [String: Int64] = [:]
        for sandbox in sandboxes {
            guard let uid = sandbox.labels[KubeRuntimeLabels.podUID], !uid.isEmpty else { continue }
            // The newest sandbox of a pod is the one to keep; older ones are removed with the pod's next sync.
            if let seen = created[uid], seen > sandbox.createdAt { continue }
            created[uid] = sandbox.createdAt
            out[uid] = AdoptedSandbox(id: sandbox.id, ready: sandbox.state == .sandboxReady, attempt: sandbox.metadata.attempt,
                                      containers: [:])
        }
        var newest: [String: (attempt: UInt32, created: Int64)] = [:]
        for container in containers {
            guard let uid = container.labels[KubeRuntimeLabels.podUID], var sandbox = out[uid],
                  sandbox.id == container.podSandboxID else { continue }
            let name = container.metadata.name
            let key = "\(uid)/\(name)"
            if let seen = newest[key], (seen.attempt, seen.created) > (container.metadata.attempt, container.createdAt) { continue }
            newest[key] = (container.metadata.attempt, container.createdAt)
            let restarts = Int(container.annotations[KubeRuntimeLabels.restartCount] ?? "") ?? Int(container.metadata.attempt)
            sandbox.containers[name] = AdoptedContainer(id: container.id, restartCount: restarts,
                                                        running: container.state == .containerRunning)
            out[uid] = sandbox
        }
        if !out.isEmpty { logger.info("found pod sandboxes in the runtime", metadata: ["count": "\(out.count)"]) }
        return out
    }

    static func removeSandbox(_ id: String, runtime: any RuntimeService, logger: Logger) async {
        var stop = Runtime_V1_StopPodSandboxRequest()
        stop.podSandboxID = id
        do { _ = try await runtime.stopPodSandbox(stop, timeout: .seconds(120)) } catch {
            logger.warning("StopPodSandbox failed: \(error)", metadata: ["podSandboxID": "\(id)"])
        }
        var remove = Runtime_V1_RemovePodSandboxRequest()
        remove.podSandboxID = id
        do { _ = try await runtime.removePodSandbox(remove, timeout: .seconds(120)) } catch {
            logger.warning("RemovePodSandbox failed: \(error)", metadata: ["podSandboxID": "\(id)"])
        }
    }
}

/// What `bootstrap reset` does to the container runtime, as kubeadm's reset removes the containers: every pod sandbox
/// a kubelet made (it carries the `io.kubernetes.pod.uid` label) is stopped and removed, with its containers and
/// its pod-network address. Sandboxes made by other tools (crictl runp) are left alone.
public enum ContainerRuntimeCleanup {
    /// How many sandboxes were removed, and what failed (one line each); throws when the runtime cannot be listed.
    public static func removeKubeletPods(endpoint: String) async throws -> (removed: Int, failures: [String]) {
        guard let path = GRPCConnection.socketPath(fromEndpoint: endpoint) else {
            throw RuntimeUnavailable(description: "\(endpoint): expected unix:///path/to/socket")
        }
        let connection = GRPCConnection(socketPath: path)
        let runtime = RemoteRuntimeService(connection: connection)
        let sandboxes: [Runtime_V1_PodSandbox]
        do {
            sandboxes = try await runtime.listPodSandbox(.init(), timeout: .seconds(30)).items
                .filter { !($0.labels[KubeRuntimeLabels.podUID] ?? "").isEmpty }
        } catch {
            await connection.close()
            throw error
        }
        var removed = 0
        var failures: [String] = []
        for sandbox in sandboxes {
            var stop = Runtime_V1_StopPodSandboxRequest()
            stop.podSandboxID = sandbox.id
            var remove = Runtime_V1_RemovePodSandboxRequest()
            remove.podSandboxID = sandbox.id
            do {
                _ = try await runtime.stopPodSandbox(stop, timeout: .seconds(120))
                _ = try await runtime.removePodSandbox(remove, timeout: .seconds(120))
                removed += 1
            } catch {
                failures.append("pod sandbox \(sandbox.id) (\(sandbox.metadata.namespace)/\(sandbox.metadata.name)): \(error)")
            }
        }
        await connection.close()
        return (removed, failures)
    }
}
