import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// upstream's deployment controller: a Deployment owns one ReplicaSet per pod template
/// (`<name>-<pod-template-hash>`, revision annotations for `kubectl rollout history|undo`), rolls from the old ones
/// to the new one within maxSurge and maxUnavailable (or all at once with Recreate), keeps revisionHistoryLimit old
/// ones, and reports replicas and the Available and Progressing conditions `kubectl rollout status` waits for.
/// Keyed by Deployment; a ReplicaSet's change queues its owner.
struct DeploymentController: Controller {
    static let component = "deployment-controller"
    static let revision = "deployment.kubernetes.io/revision"
    static let hashLabel = "pod-template-hash"

    let context: ControllerContext
    let deployments: ObjectStore
    let sets: ObjectStore
    let worker: QueueWorker

    init(context: ControllerContext) {
        self.context = context
        deployments = ObjectStore(.deployments, context: context)
        sets = ObjectStore(.replicaSets, context: context)
        sets.informer.addIndexer(Indexes.controllerUID, Indexes.byControllerUID)
        worker = QueueWorker(name: "deployment", workers: context.options.concurrentDeploymentSyncs, clock: context.clock, logger: context.logger)
        deployments.informer.addEventHandler(Workloads.primaryHandler(queue: worker.queue))
        sets.informer.addEventHandler(Workloads.dependentHandler(ownerKind: "Deployment", owners: deployments.cache, queue: worker.queue))
    }

    func run() async {
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ key: String) async throws {
        guard let deployment = deployments.cache.get(key), deployment.metaDeletionTimestamp == nil else { return }
        let owned = sets.cache.byIndex(Indexes.controllerUID, deployment.metaUID).filter { $0.metaNamespace == deployment.metaNamespace }
        try await Self.sync(deployment, owned, deployments: deployments, sets: sets, events: context.recorder, now: context.clock.timestamp())
    }

    /// The pod-template-hash: FNV-1a of the template, in the consonant-and-digit alphabet upstream encodes it with.
    static func templateHash(_ template: JSONValue, collisionCount: Int64) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in JSONWriter.write(template) + Array(String(collisionCount).utf8) { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var out = ""
        var value = hash
        repeat {
            out.append(alphabet[Int(value % UInt32(alphabet.count))])
            value /= UInt32(alphabet.count)
        } while value > 0
        return out
    }

    /// A template as compared with the Deployment's: without the hash label, and without null fields (kubectl rollout
    /// undo copies a ReplicaSet's template back with `creationTimestamp: null`, which upstream's typed comparison
    /// does not see).
    static func template(withoutHash template: JSONValue) -> JSONValue {
        var t = template
        t[path: ["metadata", "labels", hashLabel]] = nil
        return withoutNulls(t)
    }

    static func withoutNulls(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let o):
            // (Not compactMapValues: JSONValue is ExpressibleByNilLiteral, so a `nil` there can become `.null`.)
            var out: [String: JSONValue] = [:]
            for (key, child) in o where child != .null { out[key] = withoutNulls(child) }
            return .object(out)
        case .array(let a): return .array(a.map(withoutNulls))
        default: return value
        }
    }

    // Counts are int32 fields, read clamped (a stored object may predate range checks) and never below zero.
    static func replicas(_ rs: JSONValue) -> Int { max(0, rs.goInt32(["spec", "replicas"]) ?? 0) }
    static func available(_ rs: JSONValue) -> Int { max(0, rs.goInt32(["status", "availableReplicas"]) ?? 0) }
    static func revisionNumber(_ rs: JSONValue) -> Int { rs[path: ["metadata", "annotations", revision]]?.string.flatMap { Int($0) } ?? 0 }

    static func sync(_ deployment: JSONValue, _ owned: [JSONValue], deployments: ObjectStore, sets: ObjectStore,
                     events: EventRecorder, now: String) async throws {
        let namespace = deployment.metaNamespace
        let wanted = max(0, deployment.goInt32(["spec", "replicas"]) ?? 1)
        let template = withoutNulls(deployment[path: ["spec", "template"]] ?? .emptyObject)
        let collisions = max(0, deployment.goInt32(["status", "collisionCount"]) ?? 0)
        var newRS = owned.first { Self.template(withoutHash: $0[path: ["spec", "template"]] ?? .null) == template }
        var old = owned.filter { $0.metaUID != newRS?.metaUID }
        // Revisions are annotation text anyone can write: the next one saturates rather than overflows.
        let maxRevision = owned.map(revisionNumber).max() ?? 0
        let paused = deployment[path: ["spec", "paused"]]?.bool == true

        if newRS == nil, !paused {
            let hash = templateHash(template, collisionCount: Int64(collisions))
            var rsTemplate = template
            rsTemplate[path: ["metadata", "labels", hashLabel]] = .string(hash)
            var selector = deployment[path: ["spec", "selector"]] ?? .emptyObject
            selector[path: ["matchLabels", hashLabel]] = .string(hash)
            let recreate = deployment[path: ["spec", "strategy", "type"]]?.string == "Recreate"
            let total = owned.map(replicas).reduce(0, +)
            let surge = Workloads.scaled(deployment[path: ["spec", "strategy", "rollingUpdate", "maxSurge"]], of: wanted, roundUp: true, default: 1)
            // A first ReplicaSet starts at full size; a rollout starts within the surge.
            let initial = owned.isEmpty ? wanted : (recreate ? 0 : max(0, min(wanted, wanted + surge - total)))
            var labels = rsTemplate[path: ["metadata", "labels"]] ?? .emptyObject
            labels[hashLabel] = .string(hash)
            let rs: JSONValue = [
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": ["name": .string("\(deployment.metaName)-\(hash)"), "namespace": .string(namespace), "labels": labels,
                             "annotations": [revision: .string(String(maxRevision.addingSaturated(1))),
                                             "deployment.kubernetes.io/desired-replicas": .string(String(wanted)),
                                             "deployment.kubernetes.io/max-replicas": .string(String(wanted + surge))],
                             "ownerReferences": [Workloads.ownerReference(deployment)]],
                "spec": ["replicas": Workloads.int32(initial), "minReadySeconds": Workloads.int32(deployment.goInt32(["spec", "minReadySeconds"]) ?? 0),
                         "selector": selector, "template": rsTemplate],
            ]
            do {
                newRS = try await sets.create(namespace: namespace, object: rs)
                events.event(deployment, reason: "ScalingReplicaSet",
                                    message: "Scaled up replica set \(rs.metaName) from 0 to \(initial)")
            } catch let error as APIError where error.code == 409 {
                // A ReplicaSet of that name with another template: count the collision (upstream bumps collisionCount).
                var status = deployment["status"] ?? .emptyObject
                status["collisionCount"] = Workloads.int32(collisions + 1)
                try await deployments.updateStatus(deployment, status)
                return
            } catch {
                events.event(deployment, type: "Warning", reason: "FailedCreate", message: "\(error)")
                throw error
            }
        }
        guard let current = newRS else { return }
        // The revision of the template in use: a rollback to an old ReplicaSet makes it the newest revision again.
        if revisionNumber(current) < maxRevision {
            newRS = try await annotate(current, revision: maxRevision.addingSaturated(1), sets: sets) ?? current
        }
        if !paused {
            try await rollout(deployment, newRS: newRS ?? current, old: &old, wanted: wanted, sets: sets, events: events)
        }
        await cleanup(deployment, old: old, sets: sets)
        try await updateStatus(deployment, newRS: newRS ?? current, all: [newRS ?? current] + old, wanted: wanted, store: deployments, now: now)
    }

    static func scale(_ rs: JSONValue, to count: Int, sets: ObjectStore, events: EventRecorder,
                      deployment: JSONValue) async throws {
        let from = replicas(rs)
        guard from != count else { return }
        do {
            _ = try await sets.guaranteedUpdate(namespace: rs.metaNamespace, name: rs.metaName) { latest in
                guard var r = latest else { throw APIError.notFound(sets.groupResource, rs.metaName) }
                r[path: ["spec", "replicas"]] = Workloads.int32(count)
                return r
            }
            events.event(deployment, reason: "ScalingReplicaSet",
                                message: "Scaled \(count > from ? "up" : "down") replica set \(rs.metaName) from \(from) to \(count)")
        } catch let error as APIError where error.isConflict || error.isNotFound {}
    }

    static func rollout(_ deployment: JSONValue, newRS: JSONValue, old: inout [JSONValue], wanted: Int, sets: ObjectStore,
                        events: EventRecorder) async throws {
        if deployment[path: ["spec", "strategy", "type"]]?.string == "Recreate" {
            for rs in old where replicas(rs) > 0 { try await scale(rs, to: 0, sets: sets, events: events, deployment: deployment) }
            // The new pods start once the old ones are gone.
            let oldPods = old.map { max(0, $0.goInt32(["status", "replicas"]) ?? 0) }.reduce(0, +)
            if oldPods == 0 { try await scale(newRS, to: wanted, sets: sets, events: events, deployment: deployment) }
            return
        }
        var surge = Workloads.scaled(deployment[path: ["spec", "strategy", "rollingUpdate", "maxSurge"]], of: wanted, roundUp: true, default: 1)
        let unavailable = Workloads.scaled(deployment[path: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]], of: wanted, roundUp: false, default: 0)
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
        for i in old.indices.sorted(by: { (old[$0].metaCreationTimestamp ?? "") < (old[$1].metaCreationTimestamp ?? "") }) {
            let rs = old[i]
            let current = replicas(rs)
            guard current > 0 else { continue }
            let unhealthy = max(0, current - available(rs))
            let cut = min(current, unhealthy + budget)
            guard cut > 0 else { continue }
            budget -= max(0, cut - unhealthy)
            try await scale(rs, to: current - cut, sets: sets, events: events, deployment: deployment)
            old[i][path: ["spec", "replicas"]] = Workloads.int32(current - cut)
        }
    }

    static func annotate(_ rs: JSONValue, revision value: Int, sets: ObjectStore) async throws -> JSONValue? {
        do {
            return try await sets.guaranteedUpdate(namespace: rs.metaNamespace, name: rs.metaName) { latest in
                guard var r = latest else { throw APIError.notFound(sets.groupResource, rs.metaName) }
                r[path: ["metadata", "annotations", revision]] = .string(String(value))
                return r
            }
        } catch let error as APIError where error.isConflict || error.isNotFound {
            return nil
        }
    }

    /// Old ReplicaSets scaled to zero beyond revisionHistoryLimit go, oldest first.
    static func cleanup(_ deployment: JSONValue, old: [JSONValue], sets: ObjectStore) async {
        let limit = max(0, deployment.goInt32(["spec", "revisionHistoryLimit"]) ?? 10)
        let idle = old.filter { replicas($0) == 0 && ($0.goInt32(["status", "replicas"]) ?? 0) == 0 }
            .sorted { revisionNumber($0) < revisionNumber($1) }
        for rs in idle.prefix(max(0, idle.count - limit)) {
            _ = try? await sets.delete(namespace: rs.metaNamespace, name: rs.metaName, )
        }
    }

    static func updateStatus(_ deployment: JSONValue, newRS: JSONValue, all: [JSONValue], wanted: Int, store: ObjectStore, now: String) async throws {
        func sum(_ field: String) -> Int { all.map { max(0, $0.goInt32(["status", field]) ?? 0) }.reduce(0, +) }
        let total = sum("replicas"), ready = min(sum("readyReplicas"), total), availableCount = min(sum("availableReplicas"), ready)
        let updated = min(max(0, newRS.goInt32(["status", "replicas"]) ?? 0), total)
        let unavailable = Workloads.scaled(deployment[path: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]], of: wanted, roundUp: false, default: 0)
                let old = deployment[path: ["status", "conditions"]]?.array ?? []
        func condition(_ type: String, _ ok: Bool, _ reason: String, _ message: String) -> JSONValue {
            let previous = old.first { $0["type"]?.string == type }
            let state: JSONValue = ok ? "True" : "False"
            let since = previous?["status"] == state ? (previous?["lastTransitionTime"] ?? .string(now)) : .string(now)
            let updatedAt = previous?["status"] == state && previous?["reason"]?.string == reason ? (previous?["lastUpdateTime"] ?? .string(now)) : .string(now)
            return ["type": .string(type), "status": state, "reason": .string(reason), "message": .string(message),
                    "lastTransitionTime": since, "lastUpdateTime": updatedAt]
        }
        let isAvailable = availableCount >= wanted - unavailable
        let complete = updated == wanted && total == wanted && availableCount == wanted
        var status: JSONValue = [
            "observedGeneration": .int(max(0, deployment.goInt64(["metadata", "generation"]) ?? 1)),
            "replicas": Workloads.int32(total), "updatedReplicas": Workloads.int32(updated), "readyReplicas": Workloads.int32(ready),
            "availableReplicas": Workloads.int32(availableCount), "unavailableReplicas": Workloads.int32(max(0, wanted - availableCount)),
            "conditions": [
                condition("Available", isAvailable, isAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                          isAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
                condition("Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                          complete ? "ReplicaSet \"\(newRS.metaName)\" has successfully progressed." : "ReplicaSet \"\(newRS.metaName)\" is progressing."),
            ],
        ]
        status = status.droppingZeros(keep: ["observedGeneration", "conditions"])
        // Kept as stored, even 0: status validation refuses a collisionCount that goes away or down.
        if let collisions = deployment[path: ["status", "collisionCount"]] { status["collisionCount"] = collisions }
        try await store.updateStatus(deployment, status)
        // The Deployment carries its newest revision too.
        if let rev = newRS[path: ["metadata", "annotations", revision]], deployment[path: ["metadata", "annotations", revision]] != rev {
            _ = try? await store.guaranteedUpdate(namespace: deployment.metaNamespace, name: deployment.metaName) { latest in
                guard var d = latest else { throw APIError.notFound(store.groupResource, deployment.metaName) }
                d[path: ["metadata", "annotations", revision]] = rev
                return d
            }
        }
    }
}
