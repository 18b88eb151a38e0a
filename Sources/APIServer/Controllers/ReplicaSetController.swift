import KubeAPI
import KubeJSON
import Logging

/// upstream's replicaset controller, in process: each ReplicaSet keeps `spec.replicas` active pods made from its
/// template and owned by it (creating or deleting the difference, not-yet-running and newest pods first), adopts
/// matching orphans, and reports replicas, readiness and availability in its status.
actor ReplicaSetController: InProcessController {
    static let component = "replicaset-controller"
    /// Pods created or deleted per ReplicaSet per pass (upstream's burstReplicas): a huge (valid) replica count
    /// makes progress pass by pass instead of holding every other ReplicaSet up.
    static let burst = 500
    private let logger: Logger
    private var task: Task<Void, Never>?
    private let backoff = RetryBackoff()

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        let logger = self.logger, backoff = self.backoff
        task = Task {
            await Workloads.run(server: server, prefixes: ["/registry/replicasets/", "/registry/pods/"], logger: logger) { () async -> Double? in
                await Self.syncAll(server: server, logger: logger, backoff: backoff)
            }
        }
    }

    func stop() async {
        let running = task
        task = nil
        running?.cancel()
        await running?.value
    }

    static func syncAll(server: APIServer, logger: Logger, backoff: RetryBackoff = RetryBackoff()) async -> Double? {
        guard let sets = server.store("apps", "v1", "replicasets"), let podStore = server.store("", "v1", "pods"),
              let replicaSets = try? await sets.list(namespace: "", options: ListOptions()).items else { return nil }
        backoff.keep(only: replicaSets)
        guard !replicaSets.isEmpty, let pods = try? await podStore.list(namespace: "", options: ListOptions()).items else { return nil }
        let events = ControllerEvents(server: server, component: component)
        var wake: Double?
        for rs in replicaSets where rs.metaDeletionTimestamp == nil {
            let retry = await Workloads.reconcile(rs, component: component, backoff: backoff, logger: logger) {
                try await sync(rs, pods: pods, sets: sets, podStore: podStore, events: events)
                return nil
            }
            if let retry { wake = min(wake ?? retry, retry) }
        }
        return wake
    }

    static func sync(_ rs: JSONValue, pods: [JSONValue], sets: GenericStore, podStore: GenericStore, events: ControllerEvents) async throws {
        let context = Workloads.context(component)
        guard let selector = rs[path: ["spec", "selector"]].flatMap(LabelSelector.init(labelSelector:)), !selector.isEmpty else { return }
        let namespace = rs.metaNamespace
        var owned = pods.filter { $0.metaNamespace == namespace && Workloads.controllerUID($0) == rs.metaUID }
        // Orphans that match are adopted, as upstream's ControllerRefManager does.
        for orphan in pods where orphan.metaNamespace == namespace && Workloads.controllerUID(orphan) == nil
            && orphan.metaDeletionTimestamp == nil && selector.matches(orphan.metaLabels) {
            if let adopted = try? await podStore.guaranteedUpdate(namespace: namespace, name: orphan.metaName, context: context, transform: { current in
                guard var p = current, Workloads.controllerUID(p) == nil else { throw StatusError.conflict(podStore.groupResource, orphan.metaName, "already owned") }
                var refs = p[path: ["metadata", "ownerReferences"]]?.array ?? []
                refs.append(Workloads.ownerReference(rs))
                p[path: ["metadata", "ownerReferences"]] = .array(refs)
                return p
            }).0 {
                owned.append(adopted)
            }
        }
        let active = owned.filter(Workloads.isActive)
        let wanted = max(0, rs.goInt32(["spec", "replicas"]) ?? 1)
        if active.count < wanted {
            for _ in 0..<min(wanted - active.count, burst) {
                let pod = Workloads.pod(from: rs[path: ["spec", "template"]] ?? .emptyObject, owner: rs, namePrefix: rs.metaName)
                do {
                    let created = try await podStore.create(namespace: namespace, object: pod, context: context)
                    await events.record(rs, reason: "SuccessfulCreate", message: "Created pod: \(created.metaName)")
                } catch {
                    await events.record(rs, type: "Warning", reason: "FailedCreate", message: "Error creating: \((error as? StatusError)?.message ?? "\(error)")")
                    throw error
                }
            }
        } else if active.count > wanted {
            // Pods not yet scheduled or not ready go first, then the newest.
            let victims = active.sorted { a, b in
                let rank = { (p: JSONValue) in ((p[path: ["spec", "nodeName"]]?.string ?? "").isEmpty ? 0 : 1) + (Workloads.isReady(p) ? 2 : 0) }
                if rank(a) != rank(b) { return rank(a) < rank(b) }
                return (a.metaCreationTimestamp ?? "") > (b.metaCreationTimestamp ?? "")
            }.prefix(min(active.count - wanted, burst))
            for pod in victims {
                if (try? await podStore.delete(namespace: namespace, name: pod.metaName, options: DeleteOptions(), context: context)) != nil {
                    await events.record(rs, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.metaName)")
                }
            }
        }
        let ready = active.filter(Workloads.isReady).count
        let status: JSONValue = [
            "replicas": .int(Int64(active.count)), "fullyLabeledReplicas": .int(Int64(active.filter { selector.matches($0.metaLabels) }.count)),
            "readyReplicas": .int(Int64(ready)), "availableReplicas": .int(Int64(ready)),
            "observedGeneration": .int(max(0, rs.goInt64(["metadata", "generation"]) ?? 1)),
        ]
        try await Workloads.updateStatus(rs, status.droppingZeros(keep: ["replicas"]), store: sets, component: component)
    }
}

extension JSONValue {
    /// Go's omitempty for a status of counters: zero fields left out (but `keep`).
    func droppingZeros(keep: Set<String> = []) -> JSONValue {
        guard let object else { return self }
        return .object(object.filter { keep.contains($0.key) || $0.value != .int(0) })
    }
}
