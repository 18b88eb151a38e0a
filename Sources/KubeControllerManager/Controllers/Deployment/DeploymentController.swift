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
        try await Workloads.skippingUndecodable(Self.component, key, logger: context.logger) {
            try await Self.sync(Workloads.typed(deployment), owned.map { try Workloads.typed($0) }, deployments: deployments, sets: sets,
                                events: context.recorder, now: context.clock.timestamp())
        }
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

    // Counts are int32 fields (read clamped: a stored object may predate range checks), never below zero.
    static func replicas(_ rs: Typed<ReplicaSet>) -> Int { max(0, Int(rs.object.spec.replicas ?? 0)) }
    static func available(_ rs: Typed<ReplicaSet>) -> Int { max(0, Int(rs.object.status.availableReplicas)) }
    static func revisionNumber(_ rs: Typed<ReplicaSet>) -> Int { rs.object.metadata.annotations?[revision].flatMap { Int($0) } ?? 0 }

    static func sync(_ typed: Typed<Deployment>, _ owned: [Typed<ReplicaSet>], deployments: ObjectStore, sets: ObjectStore,
                     events: EventRecorder, now: String) async throws {
        let deployment = typed.json, spec = typed.object.spec
        let namespace = deployment.metaNamespace
        let wanted = max(0, Int(spec.replicas ?? 1))
        let template = withoutNulls(spec.template ?? .emptyObject)
        let collisions = max(0, Int(typed.object.status.collisionCount ?? 0))
        // Oldest first, as upstream's FindNewReplicaSet: with two ReplicaSets of the same template (a lagging cache
        // made a second), every sync must pick the same one, or the two are scaled against each other.
        let byAge = owned.sorted { a, b in
            let (x, y) = (a.object.metadata.creationTimestamp ?? "", b.object.metadata.creationTimestamp ?? "")
            return x != y ? x < y : a.json.metaName < b.json.metaName
        }
        var newRS = byAge.first { Self.template(withoutHash: $0.object.spec.template ?? .null) == template }
        var old = owned.filter { $0.json.metaUID != newRS?.json.metaUID }
        // Revisions are annotation text anyone can write: the next one saturates rather than overflows.
        let maxRevision = owned.map(revisionNumber).max() ?? 0
        let surge = Workloads.scaled(spec.strategy.rollingUpdate?.maxSurge, of: wanted, roundUp: true, default: 1)

        if newRS == nil, !spec.paused {
            let hash = templateHash(template, collisionCount: Int64(collisions))
            var rsTemplate = template
            rsTemplate[path: ["metadata", "labels", hashLabel]] = .string(hash)
            let recreate = spec.strategy.type == "Recreate"
            let total = owned.map(replicas).reduce(0, +)
            // A first ReplicaSet starts at full size; a rollout starts within the surge.
            let initial = owned.isEmpty ? wanted : (recreate ? 0 : max(0, min(wanted, wanted + surge - total)))
            let rs = try newReplicaSet(typed, template: rsTemplate, hash: hash, replicas: initial,
                                       annotations: [revision: String(maxRevision.addingSaturated(1)),
                                                     "deployment.kubernetes.io/desired-replicas": String(wanted),
                                                     "deployment.kubernetes.io/max-replicas": String(wanted + surge)])
            do {
                newRS = try Workloads.typed(try await sets.create(namespace: namespace, object: rs))
                events.event(deployment, reason: "ScalingReplicaSet",
                                    message: "Scaled up replica set \(rs.metaName) from 0 to \(initial)")
            } catch let error as APIError where error.code == 409 {
                // Ours already, made by an earlier sync the cache has not shown yet: use it, as upstream does. A
                // ReplicaSet of that name with another template or owner is a collision (upstream bumps collisionCount).
                let existing = try await sets.client.get(sets.resource, namespace: namespace, name: rs.metaName)
                if Workloads.controllerRef(existing)?["uid"]?.string == deployment.metaUID,
                   Self.template(withoutHash: existing[path: ["spec", "template"]] ?? .null) == template {
                    newRS = try Workloads.typed(existing)
                } else {
                    try await deployments.updateStatus(typed) { $0.status.collisionCount = Workloads.int32(collisions + 1) }
                    return
                }
            } catch let error as UndecodableObject {
                throw error
            } catch {
                events.event(deployment, type: "Warning", reason: "FailedCreate", message: "\(error)")
                throw error
            }
        }
        guard var current = newRS else { return }
        // The revision of the template in use: a rollback to an old ReplicaSet makes it the newest revision again.
        if revisionNumber(current) < maxRevision {
            current = try await annotate(current, revision: maxRevision.addingSaturated(1), sets: sets) ?? current
        }
        if !spec.paused {
            try await rollout(typed, newRS: current, old: &old, wanted: wanted, sets: sets, events: events)
        }
        await cleanup(typed.object, old: old, sets: sets)
        try await updateStatus(typed, newRS: current, all: [current] + old, wanted: wanted, store: deployments, now: now)
    }

    /// The ReplicaSet for the template with `hash`, owned by the Deployment. (Its status is the replicaset
    /// controller's to write.)
    static func newReplicaSet(_ deployment: Typed<Deployment>, template: JSONValue, hash: String, replicas: Int,
                              annotations: [String: String]) throws -> JSONValue {
        let d = deployment.object
        var selector = d.spec.selector ?? LabelSelector()
        selector.matchLabels = (selector.matchLabels ?? [:]).merging([hashLabel: hash]) { $1 }
        var labels = try ObjectMeta(json: template["metadata"] ?? .emptyObject).labels ?? [:]
        labels[hashLabel] = hash
        var metadata = ObjectMeta(name: "\(deployment.json.metaName)-\(hash)", namespace: deployment.json.metaNamespace, labels: labels,
                                  annotations: annotations)
        metadata.ownerReferences = [Workloads.ownerReference(deployment.json)]
        var spec = ReplicaSetSpec()
        spec.replicas = Workloads.int32(replicas)
        spec.minReadySeconds = d.spec.minReadySeconds
        spec.selector = selector
        spec.template = template
        var rs = try Workloads.json(ReplicaSet(metadata: metadata, spec: spec))
        rs["status"] = nil
        return rs
    }
}
