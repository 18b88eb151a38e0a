import KubeJSON
import Logging

/// upstream's replicaset controller, in process: each ReplicaSet keeps `spec.replicas` active pods made from its
/// template and owned by it (creating or deleting the difference, not-yet-running and newest pods first), adopts
/// matching orphans, and reports replicas, readiness and availability in its status.
actor ReplicaSetController: InProcessController {
    static let component = "replicaset-controller"
    private let logger: Logger
    private var task: Task<Void, Never>?

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        let logger = self.logger
        task = Task {
            await Workloads.run(server: server, prefixes: ["/registry/replicasets/", "/registry/pods/"], logger: logger) {
                await Self.syncAll(server: server, logger: logger)
            }
        }
    }

    func stop() {
        task?.cancel()
        task = nil
    }

    static func syncAll(server: APIServer, logger: Logger) async {
        guard let sets = server.store("apps", "v1", "replicasets"), let podStore = server.store("", "v1", "pods"),
              let replicaSets = try? await sets.list(namespace: "", options: ListOptions()).items,
              !replicaSets.isEmpty,
              let pods = try? await podStore.list(namespace: "", options: ListOptions()).items else { return }
        let events = ControllerEvents(server: server, component: component)
        let context = Workloads.context(component)
        for rs in replicaSets where rs.metaDeletionTimestamp == nil {
            guard let selector = rs[path: ["spec", "selector"]].flatMap(LabelSelector.init(labelSelector:)), !selector.isEmpty else { continue }
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
            let wanted = Int(rs[path: ["spec", "replicas"]]?.int ?? 1)
            if active.count < wanted {
                for _ in 0..<(wanted - active.count) {
                    let pod = Workloads.pod(from: rs[path: ["spec", "template"]] ?? .emptyObject, owner: rs, namePrefix: rs.metaName)
                    do {
                        let created = try await podStore.create(namespace: namespace, object: pod, context: context)
                        await events.record(rs, reason: "SuccessfulCreate", message: "Created pod: \(created.metaName)")
                    } catch {
                        await events.record(rs, type: "Warning", reason: "FailedCreate", message: "Error creating: \((error as? StatusError)?.message ?? "\(error)")")
                        break
                    }
                }
            } else if active.count > wanted {
                // Pods not yet scheduled or not ready go first, then the newest.
                let victims = active.sorted { a, b in
                    let rank = { (p: JSONValue) in ((p[path: ["spec", "nodeName"]]?.string ?? "").isEmpty ? 0 : 1) + (Workloads.isReady(p) ? 2 : 0) }
                    if rank(a) != rank(b) { return rank(a) < rank(b) }
                    return (a.metaCreationTimestamp ?? "") > (b.metaCreationTimestamp ?? "")
                }.prefix(active.count - wanted)
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
                "observedGeneration": .int(rs[path: ["metadata", "generation"]]?.int ?? 1),
            ]
            await Workloads.updateStatus(rs, status.droppingZeros(keep: ["replicas"]), store: sets, component: component)
        }
    }
}

extension JSONValue {
    /// Go's omitempty for a status of counters: zero fields left out (but `keep`).
    func droppingZeros(keep: Set<String> = []) -> JSONValue {
        guard let object else { return self }
        return .object(object.filter { keep.contains($0.key) || $0.value != .int(0) })
    }
}
