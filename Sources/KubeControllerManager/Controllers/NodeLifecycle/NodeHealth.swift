import ControllerRuntime
import KubeClient
import KubeJSON

/// What the node lifecycle controller remembers of a node between passes (upstream's nodeHealthData): the Ready
/// condition it last saw, when it last saw the kubelet alive (on this controller's clock: a heartbeat or lease
/// renewal that changed), and the lease renewal it last saw.
struct NodeHealth: Sendable {
    var savedReady: JSONValue?
    var probeTimestamp: Double
    var readyTransitionTimestamp: Double
    var leaseRenewTime: Double?
}

struct NodeHealthResult {
    /// The Ready condition as the kubelet left it (a stand-in Unknown one when it never posted).
    var observed: JSONValue
    /// The Ready condition after this pass (nil when the node has none).
    var current: JSONValue?
}

extension NodeLifecycleController {
    static let monitoredConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]

    /// Upstream's tryUpdateNodeHealth: refreshes what is remembered of the node and, when neither its status nor its
    /// lease moved for the grace period, writes its conditions as Unknown.
    func tryUpdateNodeHealth(_ input: JSONValue) async throws -> NodeHealthResult {
        var node = input
        let name = Lifecycle.name(node)
        let now = context.clock.now()
        let created = Lifecycle.creationTime(node) ?? now
        let currentReady = Lifecycle.condition(node, "Ready")
        var saved = health.withLock { $0[name] }
        let observed: JSONValue
        let gracePeriod: Double
        if let currentReady {
            observed = currentReady
            gracePeriod = context.options.nodeMonitorGracePeriod
        } else {
            // Never posted: judged from its creation, with the longer startup grace.
            let creation = node[path: ["metadata", "creationTimestamp"]] ?? .null
            observed = ["type": "Ready", "status": "Unknown", "lastHeartbeatTime": creation, "lastTransitionTime": creation]
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
            } else if let savedReady, let currentReady, savedReady["lastHeartbeatTime"] != currentReady["lastHeartbeatTime"] {
                let transition = savedReady["lastTransitionTime"] != currentReady["lastTransitionTime"]
                    ? now : existing.readyTransitionTimestamp
                existing = NodeHealth(savedReady: currentReady, probeTimestamp: now, readyTransitionTimestamp: transition,
                                      leaseRenewTime: existing.leaseRenewTime)
            }
            entry = existing
        } else {
            entry = NodeHealth(savedReady: currentReady, probeTimestamp: now, readyTransitionTimestamp: now)
        }
        // A renewed lease counts as a sign of life even when the status is not posted (upstream does the same).
        let lease = leases.cache.get(namespace: Self.leaseNamespace, name: name)
        if let renew = lease?[path: ["spec", "renewTime"]]?.string.flatMap({ SystemClock.parse($0) }),
           entry.leaseRenewTime.map({ $0 < renew }) ?? true {
            entry.leaseRenewTime = renew
            entry.probeTimestamp = now
        }
        health.withLock { $0[name] = entry }

        guard now > entry.probeTimestamp + gracePeriod else {
            return NodeHealthResult(observed: observed, current: currentReady)
        }
        let stamp = context.clock.timestamp()
        var conditions = node[path: ["status", "conditions"]]?.array ?? []
        for type in Self.monitoredConditions {
            if let index = conditions.firstIndex(where: { $0["type"]?.string == type }) {
                guard conditions[index]["status"]?.string != "Unknown" else { continue }
                conditions[index]["status"] = "Unknown"
                conditions[index]["reason"] = "NodeStatusUnknown"
                conditions[index]["message"] = "Kubelet stopped posting node status."
                conditions[index]["lastTransitionTime"] = .string(stamp)
            } else {
                conditions.append(["type": .string(type), "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status.",
                                   "lastHeartbeatTime": node[path: ["metadata", "creationTimestamp"]] ?? .null,
                                   "lastTransitionTime": .string(stamp)])
            }
        }
        node[path: ["status", "conditions"]] = .array(conditions)
        let newReady = Lifecycle.condition(node, "Ready")
        guard newReady != observed || currentReady == nil else {
            return NodeHealthResult(observed: observed, current: newReady)
        }
        context.logger.info("Node \"\(name)\" hasn't been updated for \(Int(now - entry.probeTimestamp))s (grace period \(Int(gracePeriod))s); marking its conditions Unknown")
        let written = try await context.client.updateStatus(.nodes, node)
        health.withLock {
            $0[name] = NodeHealth(savedReady: Lifecycle.condition(written, "Ready"), probeTimestamp: entry.probeTimestamp,
                                  readyTransitionTimestamp: now, leaseRenewTime: entry.leaseRenewTime)
        }
        return NodeHealthResult(observed: observed, current: newReady)
    }
}
