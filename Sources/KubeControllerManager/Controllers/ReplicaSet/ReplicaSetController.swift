import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// upstream's replicaset controller: each ReplicaSet keeps `spec.replicas` active pods made from its template and
/// owned by it (creating or deleting the difference, not-yet-running and newest pods first), adopts matching
/// orphans, and reports replicas, readiness and availability in its status. Keyed by ReplicaSet; a pod's change
/// queues its owner.
struct ReplicaSetController: Controller {
    static let component = "replicaset-controller"
    /// Pods created or deleted per ReplicaSet per sync (upstream's burstReplicas).
    static let burst = 500

    let context: ControllerContext
    let sets: ObjectStore
    let pods: ObjectStore
    let worker: QueueWorker
    let expectations: Expectations

    init(context: ControllerContext) {
        expectations = Expectations(clock: context.clock)
        self.context = context
        sets = ObjectStore(.replicaSets, context: context)
        pods = ObjectStore(.pods, context: context)
        worker = QueueWorker(name: "replicaset", workers: context.options.concurrentReplicaSetSyncs, clock: context.clock, logger: context.logger)
        sets.informer.addEventHandler(Workloads.primaryHandler(queue: worker.queue))
        pods.informer.addEventHandler(Workloads.dependentHandler(ownerKind: "ReplicaSet", owners: sets.cache, queue: worker.queue,
                                                                   expectations: expectations))
    }

    func run() async {
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ key: String) async throws {
        guard let rs = sets.cache.get(key), rs.metaDeletionTimestamp == nil else {
            expectations.forget(key)
            return
        }
        try await Self.sync(rs, key: key, pods: pods.list(namespace: rs.metaNamespace), sets: sets, podStore: pods,
                            recorder: context.recorder, expectations: expectations)
    }

    static func sync(_ rs: JSONValue, key: String, pods: [JSONValue], sets: ObjectStore, podStore: ObjectStore, recorder: EventRecorder,
                     expectations: Expectations) async throws {
        guard let selector = rs[path: ["spec", "selector"]].flatMap(LabelSelector.init(labelSelector:)), !selector.isEmpty else { return }
        let namespace = rs.metaNamespace
        var owned = pods.filter { Workloads.controllerUID($0) == rs.metaUID }
        // Orphans that match are adopted, as upstream's ControllerRefManager does.
        for orphan in pods where Workloads.controllerUID(orphan) == nil && orphan.metaDeletionTimestamp == nil && selector.matches(orphan.metaLabels) {
            if let adopted = try? await podStore.guaranteedUpdate(namespace: namespace, name: orphan.metaName, transform: { current in
                guard var p = current, Workloads.controllerUID(p) == nil else {
                    throw APIError.conflict(podStore.groupResource, orphan.metaName, "already owned")
                }
                var refs = p[path: ["metadata", "ownerReferences"]]?.array ?? []
                refs.append(Workloads.ownerReference(rs))
                p[path: ["metadata", "ownerReferences"]] = .array(refs)
                return p
            }) {
                owned.append(adopted)
            }
        }
        let active = owned.filter(Workloads.isActive)
        let wanted = max(0, rs.goInt32(["spec", "replicas"]) ?? 1)
        let settled = expectations.satisfied(key)
        if settled, active.count < wanted {
            let count = min(wanted - active.count, burst)
            expectations.expect(key, adds: count)
            for made in 0..<count {
                let pod = Workloads.pod(from: rs[path: ["spec", "template"]] ?? .emptyObject, owner: rs, namePrefix: rs.metaName)
                do {
                    let created = try await podStore.create(namespace: namespace, object: pod)
                    recorder.event(rs, reason: "SuccessfulCreate", message: "Created pod: \(created.metaName)")
                } catch {
                    expectations.lower(key, adds: count - made)
                    recorder.event(rs, type: "Warning", reason: "FailedCreate", message: "Error creating: \(error)")
                    throw error
                }
            }
        } else if settled, active.count > wanted {
            // Pods not yet scheduled or not ready go first, then the newest.
            let victims = active.sorted { a, b in
                let rank = { (p: JSONValue) in ((p[path: ["spec", "nodeName"]]?.string ?? "").isEmpty ? 0 : 1) + (Workloads.isReady(p) ? 2 : 0) }
                if rank(a) != rank(b) { return rank(a) < rank(b) }
                return (a.metaCreationTimestamp ?? "") > (b.metaCreationTimestamp ?? "")
            }.prefix(min(active.count - wanted, burst))
            expectations.expect(key, deletes: victims.count)
            for pod in victims {
                do {
                    try await podStore.delete(namespace: namespace, name: pod.metaName)
                    recorder.event(rs, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.metaName)")
                } catch let error as APIError where error.isNotFound {
                    expectations.deletionObserved(key)
                } catch {
                    expectations.deletionObserved(key)
                    throw error
                }
            }
        }
        let ready = active.filter(Workloads.isReady).count
        let status: JSONValue = [
            "replicas": .int(Int64(active.count)), "fullyLabeledReplicas": .int(Int64(active.filter { selector.matches($0.metaLabels) }.count)),
            "readyReplicas": .int(Int64(ready)), "availableReplicas": .int(Int64(ready)),
            "observedGeneration": .int(max(0, rs.goInt64(["metadata", "generation"]) ?? 1)),
        ]
        try await sets.updateStatus(rs, status.droppingZeros(keep: ["replicas"]))
    }
}
