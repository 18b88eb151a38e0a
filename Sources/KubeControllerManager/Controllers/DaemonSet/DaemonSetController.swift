import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// upstream's daemonset controller: one pod of the DaemonSet on every node whose taints it tolerates and whose
/// labels its template selects (cordoned nodes included, as upstream's default tolerations allow), placed by node
/// affinity on `metadata.name` for the scheduler to bind; pods on nodes that no longer qualify, extra pods and
/// failed pods are deleted; a RollingUpdate replaces old-template pods at most `maxUnavailable` at a time. Status
/// carries the counts `kubectl get ds` and `kubectl rollout status ds/x` read. Keyed by DaemonSet; a pod's change
/// queues its owner, a node's every DaemonSet.
struct DaemonSetController: Controller {
    static let component = "daemonset-controller"
    static let hashLabel = "controller-revision-hash"

    let context: ControllerContext
    let sets: ObjectStore
    let pods: ObjectStore
    let nodes: ObjectStore
    let worker: QueueWorker
    let expectations: Expectations
    let history: RevisionHistory

    init(context: ControllerContext) {
        self.context = context
        history = RevisionHistory(context: context)
        sets = ObjectStore(.daemonSets, context: context)
        pods = ObjectStore(.pods, context: context)
        nodes = ObjectStore(.nodes, context: context)
        expectations = Expectations(clock: context.clock)
        worker = QueueWorker(name: "daemonset", workers: context.options.concurrentDaemonSetSyncs, clock: context.clock,
                             logger: context.logger)
        pods.informer.addIndexer(Indexes.controllerUID, Indexes.byControllerUID)
        sets.informer.addEventHandler(Workloads.primaryHandler(queue: worker.queue))
        pods.informer.addEventHandler(Workloads.controlledHandler(ownerKind: "DaemonSet", queue: worker.queue, expectations: expectations))
        let queue = worker.queue, cache = sets.cache
        let all: @Sendable (JSONValue) -> Void = { _ in for key in cache.keys { queue.add(key) } }
        // Heartbeats change only a node's status, which placement does not read.
        nodes.informer.addEventHandler(EventHandler(onAdd: all, onUpdate: { old, new in
            if old["spec"] != new["spec"] || old.metaLabels != new.metaLabels { all(new) }
        }, onDelete: all))
    }

    /// The tolerations upstream adds to every daemon pod, so that node conditions and cordoning do not evict it.
    static let defaultTolerations: [(key: String, effect: String)] = [
        ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ]

    func run() async {
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ key: String) async throws {
        guard let ds = sets.cache.get(key), ds.metaDeletionTimestamp == nil else {
            expectations.forget(key)
            return
        }
        try await Workloads.skippingUndecodable(Self.component, key, logger: context.logger) {
            try await DaemonSetSync(typed: try Workloads.typed(ds), key: key, controller: self)
                .run(owned: try WorkloadPod.all(pods.cache.byIndex(Indexes.controllerUID, ds.metaUID)), nodes: nodes.list(),
                     manage: expectations.satisfied(key))
        }
    }

    /// A daemon pod for `node`: the template, its revision hash label, the default tolerations, and required node
    /// affinity on the node's name (the scheduler binds it, as upstream since 1.12).
    static func daemonPod(_ typed: Typed<DaemonSet>, template: JSONValue, hash: String, node: String) throws -> JSONValue {
        let ds = typed.json
        let generation = String(typed.object.metadata.generation ?? 1)
        var pod = try Workloads.pod(from: template, owner: ds, namePrefix: ds.metaName,
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
