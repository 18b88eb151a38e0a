import KubeAPI
import KubeJSON
import Logging

/// upstream's daemonset controller, in process: one pod of the DaemonSet on every node whose taints it tolerates and
/// whose labels its template selects (cordoned nodes included, as upstream's default tolerations allow), placed by
/// node affinity on `metadata.name` for the scheduler to bind; pods on nodes that no longer qualify, extra pods and
/// failed pods are deleted; a RollingUpdate replaces old-template pods at most `maxUnavailable` at a time. Status
/// carries the counts `kubectl get ds` and `kubectl rollout status ds/x` read.
actor DaemonSetController: InProcessController {
    static let component = "daemonset-controller"
    static let hashLabel = "controller-revision-hash"
    private let logger: Logger
    private var task: Task<Void, Never>?
    private let backoff = RetryBackoff()

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        let logger = self.logger, backoff = self.backoff
        task = Task {
            await Workloads.run(server: server, prefixes: ["/registry/daemonsets/", "/registry/pods/", "/registry/minions/"],
                                logger: logger) { () async -> Double? in
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

    /// The tolerations upstream adds to every daemon pod, so that node conditions and cordoning do not evict it.
    static let defaultTolerations: [(key: String, effect: String)] = [
        ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ]

    static func syncAll(server: APIServer, logger: Logger, backoff: RetryBackoff = RetryBackoff()) async -> Double? {
        guard let sets = server.store("apps", "v1", "daemonsets"), let podStore = server.store("", "v1", "pods"),
              let nodeStore = server.store("", "v1", "nodes"),
              let daemonSets = try? await sets.list(namespace: "", options: ListOptions()).items else { return nil }
        backoff.keep(only: daemonSets)
        guard !daemonSets.isEmpty, let pods = try? await podStore.list(namespace: "", options: ListOptions()).items,
              let nodes = try? await nodeStore.list(namespace: "", options: ListOptions()).items else { return nil }
        let events = ControllerEvents(server: server, component: component)
        var wake: Double?
        for ds in daemonSets where ds.metaDeletionTimestamp == nil {
            let owned = pods.filter { Workloads.controllerUID($0) == ds.metaUID }
            let retry = await Workloads.reconcile(ds, component: component, backoff: backoff, logger: logger) {
                try await sync(ds, owned: owned, nodes: nodes, sets: sets, podStore: podStore, events: events)
                return nil
            }
            if let retry { wake = min(wake ?? retry, retry) }
        }
        return wake
    }

    static func sync(_ ds: JSONValue, owned: [JSONValue], nodes: [JSONValue], sets: GenericStore, podStore: GenericStore,
                     events: ControllerEvents) async throws {
        let context = Workloads.context(component)
        let template = ds[path: ["spec", "template"]] ?? .emptyObject
        let hash = DeploymentController.templateHash(template, collisionCount: Int64(ds.goInt32(["status", "collisionCount"]) ?? 0))
        let probe = daemonPod(ds, template: template, hash: hash, node: "")
        let rollingUpdate = ds[path: ["spec", "updateStrategy", "type"]]?.string != "OnDelete"
        let maxUnavailable = max(1, Workloads.scaled(ds[path: ["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"]],
                                                     of: nodes.count, roundUp: true, default: 1))

        var desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0
        var unavailable = 0
        var toCreate: [String] = []
        var toDelete: [JSONValue] = []
        var outdated: [JSONValue] = []
        for node in nodes {
            let name = node.metaName
            let onNode = owned.filter { nodeName(of: $0) == name && $0.metaDeletionTimestamp == nil }
            let shouldRun = Scheduler.placementProblem(probe, node, readiness: false) == nil
            if !shouldRun {
                if !onNode.isEmpty { misscheduled += 1 }
                toDelete += onNode
                continue
            }
            desired += 1
            // A failed daemon pod is deleted and made again (the kubelet restarts containers of a running one).
            let failed = onNode.filter { $0[path: ["status", "phase"]]?.string == "Failed" }
            toDelete += failed
            let running = onNode.filter { $0[path: ["status", "phase"]]?.string != "Failed" }
                .sorted { ($0.metaCreationTimestamp ?? "") < ($1.metaCreationTimestamp ?? "") }
            guard let keep = running.first else {
                toCreate.append(name)
                unavailable += 1
                continue
            }
            toDelete += running.dropFirst()
            current += 1
            let isReady = Workloads.isReady(keep)
            if isReady { ready += 1 } else { unavailable += 1 }
            if keep.metaLabels[hashLabel] == hash { updated += 1 } else { outdated.append(keep) }
        }
        // Pods whose node is gone go too (upstream's pod garbage collector would delete them).
        let nodeNames = Set(nodes.map(\.metaName))
        toDelete += owned.filter { pod in nodeName(of: pod).map { !nodeNames.contains($0) } ?? true }
        // Old pods go unavailable ones first, then as many as maxUnavailable leaves room for.
        if rollingUpdate {
            let sorted = outdated.sorted { !Workloads.isReady($0) && Workloads.isReady($1) }
            var budget = maxUnavailable - unavailable
            for pod in sorted {
                if !Workloads.isReady(pod) {
                    toDelete.append(pod)
                } else if budget > 0 {
                    toDelete.append(pod)
                    budget -= 1
                }
            }
        }
        for pod in toDelete where pod.metaDeletionTimestamp == nil {
            var options = DeleteOptions()
            options.preconditionUID = pod.metaUID
            if (try? await podStore.delete(namespace: pod.metaNamespace, name: pod.metaName, options: options, context: context)) != nil {
                await events.record(ds, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.metaName)")
            }
        }
        // A failed creation is retried with backoff once the rest of this pass (other nodes, the status) is done.
        var failure: (any Error)?
        for node in toCreate {
            do {
                let created = try await podStore.create(namespace: ds.metaNamespace, object: daemonPod(ds, template: template, hash: hash, node: node),
                                                        context: context)
                await events.record(ds, reason: "SuccessfulCreate", message: "Created pod: \(created.metaName)")
            } catch {
                await events.record(ds, type: "Warning", reason: "FailedCreate",
                                    message: "Error creating: \((error as? StatusError)?.message ?? "\(error)")")
                failure = failure ?? error
            }
        }
        var status: JSONValue = [
            "currentNumberScheduled": Workloads.int32(current), "desiredNumberScheduled": Workloads.int32(desired),
            "numberMisscheduled": Workloads.int32(misscheduled), "numberReady": Workloads.int32(ready),
            "updatedNumberScheduled": Workloads.int32(updated), "numberAvailable": Workloads.int32(ready),
            "numberUnavailable": Workloads.int32(unavailable),
            "observedGeneration": .int(max(0, ds.goInt64(["metadata", "generation"]) ?? 1)),
        ]
        status = status.droppingZeros(keep: ["currentNumberScheduled", "desiredNumberScheduled", "numberMisscheduled", "numberReady"])
        // Kept as stored: status validation refuses a collisionCount that goes away or down.
        if let collisions = ds[path: ["status", "collisionCount"]] { status["collisionCount"] = collisions }
        try await Workloads.updateStatus(ds, status, store: sets, component: component)
        if let failure { throw failure }
    }

    /// A daemon pod for `node`: the template, its revision hash label, the default tolerations, and required node
    /// affinity on the node's name (the scheduler binds it, as upstream since 1.12).
    static func daemonPod(_ ds: JSONValue, template: JSONValue, hash: String, node: String) -> JSONValue {
        let generation = String(ds.goInt64(["metadata", "generation"]) ?? 1)
        var pod = Workloads.pod(from: template, owner: ds, namePrefix: ds.metaName,
                                extraLabels: [hashLabel: hash, "pod-template-generation": generation])
        var tolerations = pod[path: ["spec", "tolerations"]]?.array ?? []
        for (key, effect) in defaultTolerations where !tolerations.contains(where: { $0["key"]?.string == key && $0["effect"]?.string == effect }) {
            tolerations.append(["key": .string(key), "operator": "Exists", "effect": .string(effect)])
        }
        pod[path: ["spec", "tolerations"]] = .array(tolerations)
        guard !node.isEmpty else { return pod }
        let term: JSONValue = ["matchFields": [["key": "metadata.name", "operator": "In", "values": [.string(node)]]]]
        var terms = pod[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]]?.array ?? []
        if terms.isEmpty {
            terms = [term]
        } else {
            // Each of the template's terms, narrowed to this node.
            terms = terms.map { t in
                var narrowed = t
                narrowed["matchFields"] = term["matchFields"]
                return narrowed
            }
        }
        pod[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]] = .array(terms)
        return pod
    }

    /// The node a daemon pod is bound to, or the one its affinity names while it waits for the scheduler.
    static func nodeName(of pod: JSONValue) -> String? {
        if let bound = pod[path: ["spec", "nodeName"]]?.string, !bound.isEmpty { return bound }
        let terms = pod[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]]?.array ?? []
        for term in terms {
            for field in term["matchFields"]?.array ?? [] where field["key"]?.string == "metadata.name" && field["operator"]?.string == "In" {
                if let value = field["values"]?.array?.first?.string { return value }
            }
        }
        return nil
    }
}
