import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// What the node lifecycle controller remembers of a node between passes (upstream's nodeHealthData): the Ready
/// condition it last saw, when it last saw the kubelet alive (on this controller's clock: a heartbeat or lease
/// renewal that changed), and the lease renewal it last saw.
struct NodeHealth: Sendable {
    var savedReady: NodeCondition?
    var probeTimestamp: Double
    var readyTransitionTimestamp: Double
    var leaseRenewTime: Double?
}

struct NodeHealthResult {
    /// The Ready condition as the kubelet left it (a stand-in Unknown one when it never posted).
    var observed: NodeCondition
    /// The Ready condition after this pass (nil when the node has none).
    var current: NodeCondition?
}

extension NodeLifecycleController {
    static let monitoredConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]

    /// Upstream's tryUpdateNodeHealth: refreshes what is remembered of the node and, when neither its status nor its
    /// lease moved for the grace period, writes its conditions as Unknown (a merge of the conditions: the rest of
    /// the status stays as the kubelet wrote it).
    func tryUpdateNodeHealth(_ input: JSONValue) async throws -> NodeHealthResult {
        let typed: Typed<Node> = try Workloads.typed(input)
        let node = typed.object
        let name = node.metadata.name ?? ""
        let now = context.clock.now()
        let created = node.metadata.creationTimestamp.flatMap { SystemClock.parse($0) } ?? now
        let currentReady = node.status.condition("Ready")
        var saved = health.withLock { $0[name] }
        let observed: NodeCondition
        let gracePeriod: Double
        if let currentReady {
            observed = currentReady
            gracePeriod = context.options.nodeMonitorGracePeriod
        } else {
            // Never posted: judged from its creation, with the longer startup grace.
            let creation = node.metadata.creationTimestamp
            observed = NodeCondition(type: "Ready", status: "Unknown", lastHeartbeatTime: creation, lastTransitionTime: creation)
            gracePeriod = context.options.nodeStartupGracePeriod
            if saved == nil {
                saved = NodeHealth(savedReady: nil, probeTimestamp: created, readyTransitionTimestamp: created)
            }
        }
        var entry: NodeHealth
        if var existing = saved {
            let savedReady = existing.savedReady
            if (savedReady == nil) != (currentReady == nil) {
                // First sight of a Ready condition, or it was removed: counted from now.
                existing = NodeHealth(savedReady: currentReady, probeTimestamp: now, readyTransitionTimestamp: now,
                                      leaseRenewTime: existing.leaseRenewTime)
            } else if let savedReady, let currentReady, savedReady.lastHeartbeatTime != currentReady.lastHeartbeatTime {
                let transition = savedReady.lastTransitionTime != currentReady.lastTransitionTime
                    ? now : existing.readyTransitionTimestamp
                existing = NodeHealth(savedReady: currentReady, probeTimestamp: now, readyTransitionTimestamp: transition,
                                      leaseRenewTime: existing.leaseRenewTime)
            }
            entry = existing
        } else {
            entry = NodeHealth(savedReady: currentReady, probeTimestamp: now, readyTransitionTimestamp: now)
        }
        // A renewed lease counts as a sign of life even when the status is not posted (upstream does the same).
        if let renew = leaseRenewTime(name).flatMap({ SystemClock.parse($0) }), entry.leaseRenewTime.map({ $0 < renew }) ?? true {
            entry.leaseRenewTime = renew
            entry.probeTimestamp = now
        }
        health.withLock { $0[name] = entry }

        guard now > entry.probeTimestamp + gracePeriod else {
            return NodeHealthResult(observed: observed, current: currentReady)
        }
        let stamp = context.clock.timestamp()
        var conditions = node.status.conditions ?? []
        for type in Self.monitoredConditions {
            if let index = conditions.firstIndex(where: { $0.type == type }) {
                guard conditions[index].status != "Unknown" else { continue }
                conditions[index].status = "Unknown"
                conditions[index].reason = "NodeStatusUnknown"
                conditions[index].message = "Kubelet stopped posting node status."
                conditions[index].lastTransitionTime = stamp
            } else {
                conditions.append(NodeCondition(type: type, status: "Unknown", reason: "NodeStatusNeverUpdated",
                                                message: "Kubelet never posted node status.",
                                                lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: stamp))
            }
        }
        let newReady = conditions.first { $0.type == "Ready" }
        guard newReady != observed || currentReady == nil else {
            return NodeHealthResult(observed: observed, current: newReady)
        }
        context.logger.info("Node \"\(name)\" hasn't been updated for \(Int(now - entry.probeTimestamp))s (grace period \(Int(gracePeriod))s); marking its conditions Unknown")
        let written = try await context.client.updateStatus(.nodes, typed.modified { $0.status.conditions = conditions })
        let writtenReady = try Workloads.typed(written, as: Node.self).object.status.condition("Ready")
        health.withLock {
            $0[name] = NodeHealth(savedReady: writtenReady, probeTimestamp: entry.probeTimestamp,
                                  readyTransitionTimestamp: now, leaseRenewTime: entry.leaseRenewTime)
        }
        return NodeHealthResult(observed: observed, current: newReady)
    }

    /// The node's Lease renewal, if it has a Lease; one that does not decode is logged and counts as none.
    private func leaseRenewTime(_ node: String) -> String? {
        guard let json = leases.cache.get(namespace: Self.leaseNamespace, name: node) else { return nil }
        do {
            return try Workloads.typed(json, as: Lease.self).object.spec.renewTime
        } catch {
            context.logger.warning("node-lifecycle-controller: ignoring the lease of Node \"\(node)\": \(error)")
            return nil
        }
    }
}
