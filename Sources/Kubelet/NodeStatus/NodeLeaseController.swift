import FoundationEssentials
import KubeAPI
import KubeJSON
import Logging

/// The node heartbeat: a Lease `kube-node-lease/<node>` renewed every 10 s with a 40 s duration
/// (nodeLeaseDurationSeconds × renewIntervalFraction 0.25); failed renewals back off from 200 ms to 7 s.
actor NodeLeaseController {
    let client: APIServerClient
    let nodeName: String
    let logger: Logger
    let duration = 40

    init(client: APIServerClient, nodeName: String, logger: Logger) {
        self.client = client
        self.nodeName = nodeName
        self.logger = logger
    }

    func run(nodeUID: @escaping @Sendable () async -> String?) async {
        var delay = 0.2
        while !Task.isCancelled {
            do {
                try await renew(nodeUID: await nodeUID())
                delay = 0.2
                try? await Task.sleep(nanoseconds: UInt64(Double(duration) * 0.25 * 1e9))
            } catch {
                logger.warning("failed to renew lease kube-node-lease/\(nodeName), retrying in \(oneDecimal(delay))s: \(error)")
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                delay = min(delay * 2, 7)
            }
        }
    }

    func renew(nodeUID: String?) async throws {
        let path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/\(nodeName)"
        let now = RFC3339.format(Date(), fractionDigits: 6)
        do {
            var lease = try await client.call("GET", path)
            lease[path: ["spec", "renewTime"]] = .string(now)
            lease[path: ["spec", "holderIdentity"]] = .string(nodeName)
            lease[path: ["spec", "leaseDurationSeconds"]] = .int(Int64(duration))
            try await client.call("PUT", path, lease)
        } catch let failure as APIServerClient.Failure where failure.isNotFound {
            var lease: JSONValue = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": .string(nodeName), "namespace": "kube-node-lease"],
                "spec": ["holderIdentity": .string(nodeName), "leaseDurationSeconds": .int(Int64(duration)), "renewTime": .string(now)],
            ]
            if let nodeUID {
                lease[path: ["metadata", "ownerReferences"]] = [["apiVersion": "v1", "kind": "Node", "name": .string(nodeName), "uid": .string(nodeUID)]]
            }
            try await client.call("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease)
        }
    }
}
