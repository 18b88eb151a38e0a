import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// upstream's replicaset controller: each ReplicaSet keeps `spec.replicas` active pods made from its template and
/// owned by it (creating or deleting the difference, not-yet-running and newest pods first), adopts matching
/// orphans, and reports replicas, readiness and availability in its status. Keyed by ReplicaSet; a pod's change
/// queues its owner.
///
/// The same controller runs core/v1 ReplicationControllers, as upstream's replication controller does: each one is
/// read as the ReplicaSet it converts to (its map selector as `matchLabels`); pods and events name the RC.
struct ReplicaSetController: Controller {
    /// Which kind this instance runs.
    struct Flavor: Sendable {
        let resource: ResourceType
        let kind: String
        let component: String
        let queueName: String
        /// The object in ReplicaSet form, for the typed view.
        let asReplicaSet: @Sendable (JSONValue) -> JSONValue
    }

    static let replicaSets = Flavor(resource: .replicaSets, kind: "ReplicaSet", component: "replicaset-controller",
                                    queueName: "replicaset", asReplicaSet: { $0 })
    static let replicationControllers = Flavor(resource: .replicationControllers, kind: "ReplicationController",
                                               component: "replication-controller", queueName: "replicationmanager",
                                               asReplicaSet: { rc in
        var view = rc
        if let selector = rc[path: ["spec", "selector"]] { view[path: ["spec", "selector"]] = ["matchLabels": selector] }
        return view
    })

    /// Pods created or deleted per ReplicaSet per sync (upstream's burstReplicas).
    static let burst = 500

    let context: ControllerContext
    let flavor: Flavor
    let sets: ObjectStore
    let pods: ObjectStore
    let worker: QueueWorker
    let expectations: Expectations

    init(context: ControllerContext, flavor: Flavor = ReplicaSetController.replicaSets) {
        expectations = Expectations(clock: context.clock)
        self.context = context
        self.flavor = flavor
        sets = ObjectStore(flavor.resource, context: context)
        pods = ObjectStore(.pods, context: context)
        let workers = flavor.kind == "ReplicaSet" ? context.options.concurrentReplicaSetSyncs : context.options.concurrentRCSyncs
        worker = QueueWorker(name: flavor.queueName, workers: workers, clock: context.clock, logger: context.logger)
        sets.informer.addEventHandler(Workloads.primaryHandler(queue: worker.queue))
        pods.informer.addEventHandler(Workloads.dependentHandler(ownerKind: flavor.kind, owners: sets.cache, queue: worker.queue,
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
        try await Workloads.skippingUndecodable(flavor.component, key, logger: context.logger) {
            let typed: Typed<ReplicaSet>
            do {
                typed = try Typed(rs, viewedAs: flavor.asReplicaSet(rs))
            } catch {
                throw UndecodableObject(kind: flavor.kind, namespace: rs.metaNamespace, name: rs.metaName, error: error)
            }
            try await Self.sync(typed, key: key, pods: pods.list(namespace: rs.metaNamespace), sets: sets, podStore: pods,
                                recorder: context.recorder, expectations: expectations)
        }
    }

    static func sync(_ typed: Typed<ReplicaSet>, key: String, pods: [JSONValue], sets: ObjectStore, podStore: ObjectStore,
                     recorder: EventRecorder, expectations: Expectations) async throws {
        let rs = typed.json, spec = typed.object.spec
        guard let labelSelector = spec.selector, !labelSelector.isEmpty, let selector = labelSelector.asSelector() else { return }
        let namespace = rs.metaNamespace
        var owned = pods.filter { Workloads.controllerUID($0) == rs.metaUID }
        // Orphans that match are adopted, as upstream's ControllerRefManager does.
        let ownerRef = try Workloads.json(Workloads.ownerReference(rs))
        for orphan in pods where Workloads.controllerUID(orphan) == nil && orphan.metaDeletionTimestamp == nil && selector.matches(orphan.metaLabels) {
            if let adopted = try? await podStore.guaranteedUpdate(namespace: namespace, name: orphan.metaName, transform: { current in
                guard var p = current, Workloads.controllerUID(p) == nil else {
                    throw APIError.conflict(podStore.groupResource, orphan.metaName, "already owned")
                }
                var refs = p[path: ["metadata", "ownerReferences"]]?.array ?? []
                refs.append(ownerRef)
                p[path: ["metadata", "ownerReferences"]] = .array(refs)
                return p
            }) {
                owned.append(adopted)
            }
        }
        let active = try WorkloadPod.all(owned).filter(\.isActive)
        let wanted = max(0, Int(spec.replicas ?? 1))
        let settled = expectations.satisfied(key)
        if settled, active.count < wanted {
            let count = min(wanted - active.count, burst)
            let pod = try Workloads.pod(from: spec.template ?? .emptyObject, owner: rs, namePrefix: rs.metaName)
            expectations.expect(key, adds: count)
            for made in 0..<count {
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
            let rank = { (p: WorkloadPod) in (p.nodeName.isEmpty ? 0 : 1) + (p.isReady ? 2 : 0) }
            let victims = active.sorted { a, b in
                if rank(a) != rank(b) { return rank(a) < rank(b) }
                return (a.json.metaCreationTimestamp ?? "") > (b.json.metaCreationTimestamp ?? "")
            }.prefix(min(active.count - wanted, burst))
            expectations.expect(key, deletes: victims.count)
            for pod in victims {
                do {
                    try await podStore.delete(namespace: namespace, name: pod.name)
                    recorder.event(rs, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.name)")
                } catch let error as APIError where error.isNotFound {
                    expectations.deletionObserved(key)
                } catch {
                    expectations.deletionObserved(key)
                    throw error
                }
            }
        }
        let ready = Workloads.int32(active.filter(\.isReady).count)
        try await sets.updateStatus(typed) { r in
            r.status.replicas = Workloads.int32(active.count)
            r.status.fullyLabeledReplicas = Workloads.int32(active.filter { selector.matches($0.labels) }.count)
            r.status.readyReplicas = ready
            r.status.availableReplicas = ready
            r.status.observedGeneration = max(0, typed.object.metadata.generation ?? 1)
        }
    }
}
