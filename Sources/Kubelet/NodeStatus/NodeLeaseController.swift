import FoundationEssentials
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// The node heartbeat: a Lease `kube-node-lease/<node>` renewed every 10 s with a 40 s duration
/// (nodeLeaseDurationSeconds × renewIntervalFraction 0.25); failed renewals back off from 200 ms to 7 s.
actor NodeLeaseController {
    let api: KubeletAPIClient
    let nodeName: String
    let logger: Logger
    let duration = 40

    init(api: KubeletAPIClient, nodeName: String, logger: Logger) {
        self.api = api
        self.nodeName = nodeName
        self.logger = logger
    }

    func run(nodeUID: @escaping @Sendable () async -> String?) async {
        var delay = 0.2
        var failures = 0
        while !Task.isCancelled {
            do {
                try await renew(nodeUID: await nodeUID())
                delay = 0.2
                failures = 0
                try? await Task.sleep(nanoseconds: UInt64(Double(duration) * 0.25 * 1e9))
            } catch {
                failures += 1
                logger.warning("failed to renew lease kube-node-lease/\(nodeName), retrying in \(oneDecimal(delay))s: \(error)")
                await api.heartbeatFailed(error, consecutive: failures)
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                delay = min(delay * 2, 7)
            }
        }
    }

    func renew(nodeUID: String?) async throws {
        let client = api.heartbeat
        let now = RFC3339.format(Date(), fractionDigits: 6)
        do {
            var lease = try await client.get(.leases, namespace: "kube-node-lease", name: nodeName)
            lease[path: ["spec", "renewTime"]] = .string(now)
            lease[path: ["spec", "holderIdentity"]] = .string(nodeName)
            lease[path: ["spec", "leaseDurationSeconds"]] = .int(Int64(duration))
            _ = try await client.update(.leases, lease)
        } catch let failure as APIError where failure.isNotFound {
            var lease: JSONValue = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": .string(nodeName), "namespace": "kube-node-lease"],
                "spec": ["holderIdentity": .string(nodeName), "leaseDurationSeconds": .int(Int64(duration)), "renewTime": .string(now)],
            ]
            if let nodeUID {
                lease[path: ["metadata", "ownerReferences"]] = [["apiVersion": "v1", "kind": "Node", "name": .string(nodeName), "uid": .string(nodeUID)]]
            }
            _ = try await client.create(.leases, namespace: "kube-node-lease", lease)
        }
    }
}
