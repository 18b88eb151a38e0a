import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// How a Deployment moves between its ReplicaSets, and what its status says about it.
extension DeploymentController {
    static func scale(_ rs: Typed<ReplicaSet>, to count: Int, sets: ObjectStore, events: EventRecorder,
                      deployment: JSONValue) async throws {
        let from = replicas(rs)
        guard from != count else { return }
        let name = rs.json.metaName
        do {
            _ = try await sets.guaranteedUpdate(namespace: rs.json.metaNamespace, name: name) { latest in
                guard let latest else { throw APIError.notFound(sets.groupResource, name) }
                return try Workloads.typed(latest, as: ReplicaSet.self).modified { $0.spec.replicas = Workloads.int32(count) }
            }
            events.event(deployment, reason: "ScalingReplicaSet",
                                message: "Scaled \(count > from ? "up" : "down") replica set \(name) from \(from) to \(count)")
        } catch let error as APIError where error.isConflict || error.isNotFound {}
    }

    /// Scales the ReplicaSets towards the new one; `old` is left with the replica counts written.
    static func rollout(_ typed: Typed<Deployment>, newRS: Typed<ReplicaSet>, old: inout [Typed<ReplicaSet>], wanted: Int,
                        sets: ObjectStore, events: EventRecorder) async throws {
        let deployment = typed.json, strategy = typed.object.spec.strategy
        if strategy.type == "Recreate" {
            for rs in old where replicas(rs) > 0 { try await scale(rs, to: 0, sets: sets, events: events, deployment: deployment) }
            // The new pods start once the old ones are gone.
            let oldPods = old.map { max(0, Int($0.object.status.replicas)) }.reduce(0, +)
            if oldPods == 0 { try await scale(newRS, to: wanted, sets: sets, events: events, deployment: deployment) }
            return
        }
        var surge = Workloads.scaled(strategy.rollingUpdate?.maxSurge, of: wanted, roundUp: true, default: 1)
        let unavailable = Workloads.scaled(strategy.rollingUpdate?.maxUnavailable, of: wanted, roundUp: false, default: 0)
        if surge == 0, unavailable == 0 { surge = 1 }
        // Up: the new ReplicaSet grows within the surge.
        let total = replicas(newRS) + old.map(replicas).reduce(0, +)
        var newCount = replicas(newRS)
        if newCount < wanted, total < wanted + surge {
            newCount = min(wanted, newCount + (wanted + surge - total))
            try await scale(newRS, to: newCount, sets: sets, events: events, deployment: deployment)
        } else if newCount > wanted, old.allSatisfy({ replicas($0) == 0 }) {
            newCount = wanted
            try await scale(newRS, to: wanted, sets: sets, events: events, deployment: deployment)
        }
        // Down: old ReplicaSets shrink while enough pods stay available; their unavailable pods go first.
        let minAvailable = wanted - unavailable
        let availableNow = available(newRS) + old.map(available).reduce(0, +)
        var budget = max(0, availableNow - minAvailable)
        for i in old.indices.sorted(by: { (old[$0].json.metaCreationTimestamp ?? "") < (old[$1].json.metaCreationTimestamp ?? "") }) {
            let rs = old[i]
            let current = replicas(rs)
            guard current > 0 else { continue }
            let unhealthy = max(0, current - available(rs))
            let cut = min(current, unhealthy + budget)
            guard cut > 0 else { continue }
            budget -= max(0, cut - unhealthy)
            try await scale(rs, to: current - cut, sets: sets, events: events, deployment: deployment)
            old[i] = try Workloads.typed(try rs.modified { $0.spec.replicas = Workloads.int32(current - cut) })
        }
    }

    static func annotate(_ rs: Typed<ReplicaSet>, revision value: Int, sets: ObjectStore) async throws -> Typed<ReplicaSet>? {
        let name = rs.json.metaName
        do {
            let written = try await sets.guaranteedUpdate(namespace: rs.json.metaNamespace, name: name) { latest in
                guard let latest else { throw APIError.notFound(sets.groupResource, name) }
                return try Workloads.typed(latest, as: ReplicaSet.self).modified { r in
                    r.metadata.annotations = (r.metadata.annotations ?? [:]).merging([revision: String(value)]) { $1 }
                }
            }
            return try Workloads.typed(written)
        } catch let error as APIError where error.isConflict || error.isNotFound {
            return nil
        }
    }

    /// Old ReplicaSets scaled to zero beyond revisionHistoryLimit go, oldest first.
    static func cleanup(_ deployment: Deployment, old: [Typed<ReplicaSet>], sets: ObjectStore) async {
        let limit = max(0, Int(deployment.spec.revisionHistoryLimit ?? 10))
        let idle = old.filter { replicas($0) == 0 && $0.object.status.replicas == 0 }
            .sorted { revisionNumber($0) < revisionNumber($1) }
        for rs in idle.prefix(max(0, idle.count - limit)) {
            _ = try? await sets.delete(namespace: rs.json.metaNamespace, name: rs.json.metaName)
        }
    }

    static func updateStatus(_ typed: Typed<Deployment>, newRS: Typed<ReplicaSet>, all: [Typed<ReplicaSet>], wanted: Int,
                             store: ObjectStore, now: String) async throws {
        func sum(_ field: (ReplicaSetStatus) -> Int32) -> Int { all.map { max(0, Int(field($0.object.status))) }.reduce(0, +) }
        let total = sum(\.replicas), ready = min(sum(\.readyReplicas), total), availableCount = min(sum(\.availableReplicas), ready)
        let updated = min(max(0, Int(newRS.object.status.replicas)), total)
        let unavailable = Workloads.scaled(typed.object.spec.strategy.rollingUpdate?.maxUnavailable, of: wanted, roundUp: false, default: 0)
        let old = typed.object.status.conditions ?? []
        func condition(_ type: String, _ ok: Bool, _ reason: String, _ message: String) -> DeploymentCondition {
            let previous = old.first { $0.type == type }
            let state = ok ? "True" : "False"
            let since = previous?.status == state ? (previous?.lastTransitionTime ?? now) : now
            let updatedAt = previous?.status == state && previous?.reason == reason ? (previous?.lastUpdateTime ?? now) : now
            return DeploymentCondition(type: type, status: state, reason: reason, message: message, lastUpdateTime: updatedAt,
                                       lastTransitionTime: since)
        }
        let isAvailable = availableCount >= wanted - unavailable
        let complete = updated == wanted && total == wanted && availableCount == wanted
        let rsName = newRS.json.metaName
        // collisionCount is left as stored, even 0: status validation refuses one that goes away or down.
        try await store.updateStatus(typed) { d in
            d.status.observedGeneration = max(0, typed.object.metadata.generation ?? 1)
            d.status.replicas = Workloads.int32(total)
            d.status.updatedReplicas = Workloads.int32(updated)
            d.status.readyReplicas = Workloads.int32(ready)
            d.status.availableReplicas = Workloads.int32(availableCount)
            d.status.unavailableReplicas = Workloads.int32(max(0, wanted - availableCount))
            d.status.conditions = [
                condition("Available", isAvailable, isAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                          isAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
                condition("Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                          complete ? "ReplicaSet \"\(rsName)\" has successfully progressed." : "ReplicaSet \"\(rsName)\" is progressing."),
            ]
        }
        // The Deployment carries its newest revision too.
        if let rev = newRS.object.metadata.annotations?[revision], typed.object.metadata.annotations?[revision] != rev {
            let name = typed.json.metaName
            _ = try? await store.guaranteedUpdate(namespace: typed.json.metaNamespace, name: name) { latest in
                guard let latest else { throw APIError.notFound(store.groupResource, name) }
                return try Workloads.typed(latest, as: Deployment.self).modified { d in
                    d.metadata.annotations = (d.metadata.annotations ?? [:]).merging([revision: rev]) { $1 }
                }
            }
        }
    }
}
