import KubeAPI
import KubeJSON
import KubeStorage
import Logging

/// The default-scheduler, in process and reduced to what a single control-plane host needs: a pending pod goes to
/// a Ready node that is schedulable, whose taints it tolerates, whose labels match its nodeSelector and required
/// node affinity, and that has room for its requests (cpu, memory, pod count); otherwise it stays Pending with
/// upstream's PodScheduled condition and FailedScheduling event (`0/1 nodes are available: 1 node(s) had
/// untolerated taint {node-role.kubernetes.io/control-plane: }. …`) until a node or pod change lets it fit.
actor Scheduler: InProcessController {
    static let name = "default-scheduler"
    private let logger: Logger
    private var task: Task<Void, Never>?

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        let logger = self.logger
        let (dirty, mark) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        task = Task {
            await withTaskGroup(of: Void.self) { group in
                for prefix in ["/registry/pods/", "/registry/minions/", "/registry/persistentvolumeclaims/"] {
                    group.addTask { await StorageReflector(storage: server.storage, prefix: prefix, logger: logger).run { _ in mark.yield() } }
                }
                group.addTask {
                    // Nodes change under a pod without an event on the pod (allocatable, conditions): look again now and then.
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(10))
                        mark.yield()
                    }
                }
                group.addTask {
                    for await _ in dirty { await Self.schedulePending(server: server, logger: logger) }
                }
            }
        }
    }

    func stop() async {
        let running = task
        task = nil
        running?.cancel()
        await running?.value
    }

    struct NodeState {
        var node: JSONValue
        var cpu: Double
        var memory: Double
        var pods: Int
    }

    static func schedulePending(server: APIServer, logger: Logger) async {
        guard let podStore = server.store("", "v1", "pods"), let nodeStore = server.store("", "v1", "nodes"),
              let pods = try? await podStore.list(namespace: "", options: ListOptions()).items,
              let nodes = try? await nodeStore.list(namespace: "", options: ListOptions()).items else { return }
        let pending = pods.filter { pod in
            (pod[path: ["spec", "nodeName"]]?.string ?? "").isEmpty && pod.metaDeletionTimestamp == nil
                && (pod[path: ["spec", "schedulerName"]]?.string ?? name) == name
                && !["Succeeded", "Failed"].contains(pod[path: ["status", "phase"]]?.string ?? "")
        }
        guard !pending.isEmpty else { return }
        var states = nodes.map { node -> NodeState in
            let bound = pods.filter { $0[path: ["spec", "nodeName"]]?.string == node.metaName && $0.metaDeletionTimestamp == nil
                && !["Succeeded", "Failed"].contains($0[path: ["status", "phase"]]?.string ?? "") }
            let used = bound.map(requests).reduce((0.0, 0.0)) { ($0.0 + $1.0, $0.1 + $1.1) }
            return NodeState(node: node, cpu: used.0, memory: used.1, pods: bound.count)
        }
        let events = ControllerEvents(server: server, component: name)
        let context = RequestContext(user: UserInfo(name: "system:kube-scheduler", groups: ["system:masters"]), fieldManager: name)
        let ordered = pending.sorted {
            ($0[path: ["spec", "priority"]]?.int ?? 0, $1.metaCreationTimestamp ?? "") > ($1[path: ["spec", "priority"]]?.int ?? 0, $0.metaCreationTimestamp ?? "")
        }
        let usesClaims = pending.contains { pod in pod[path: ["spec", "volumes"]]?.array?.contains { $0["persistentVolumeClaim"] != nil } == true }
        let claimStore = server.store("", "v1", "persistentvolumeclaims")
        var claims: [String: JSONValue] = [:]
        var waitingClasses = Set<String>()
        if usesClaims, let claimStore {
            for claim in (try? await claimStore.list(namespace: "", options: ListOptions()).items) ?? [] {
                claims["\(claim.metaNamespace)/\(claim.metaName)"] = claim
            }
            let classes = (try? await server.store("storage.k8s.io", "v1", "storageclasses")?.list(namespace: "", options: ListOptions()).items) ?? []
            waitingClasses = Set(classes.filter { $0["volumeBindingMode"]?.string == "WaitForFirstConsumer" }.map(\.metaName))
        }
        for pod in ordered {
            var delayed: [JSONValue] = []
            if usesClaims {
                switch volumeProblem(pod, claims: claims, waitingClasses: waitingClasses) {
                case .unschedulable(let reason):
                    let message = "0/\(states.count) nodes are available: \(reason). preemption: 0/\(states.count) nodes are available: \(states.count) Preemption is not helpful for scheduling."
                    await markUnschedulable(pod, message: message, store: podStore, context: context, events: events)
                    continue
                case .waitingForConsumer(let waiting):
                    delayed = waiting
                }
            }
            var reasons: [String: Int] = [:]
            var best: Int?
            for (i, state) in states.enumerated() {
                if let reason = unfit(pod, state) {
                    reasons[reason, default: 0] += 1
                } else if best.map({ freeScore(states[$0]) < freeScore(state) }) ?? true {
                    best = i
                }
            }
            if let best {
                let nodeName = states[best].node.metaName
                if let claimStore {
                    for claim in delayed { await selectNode(nodeName, for: claim, store: claimStore, context: context) }
                }
                if await bind(pod, to: nodeName, store: podStore, context: context, logger: logger) {
                    let r = requests(pod)
                    states[best].cpu += r.0
                    states[best].memory += r.1
                    states[best].pods += 1
                    await events.record(pod, reason: "Scheduled", message: "Successfully assigned \(pod.metaNamespace)/\(pod.metaName) to \(nodeName)")
                }
            } else {
                let message = failureMessage(nodes: states.count, reasons: reasons)
                await markUnschedulable(pod, message: message, store: podStore, context: context, events: events)
            }
        }
    }

    enum VolumeCheck {
        case unschedulable(String)
        /// Claims of a WaitForFirstConsumer class that wait for this pod's node.
        case waitingForConsumer([JSONValue])
    }

    /// upstream's VolumeBinding PreFilter: every claim must exist and be bound, unless its class waits for the first
    /// consumer, in which case the chosen node is written on it for the binder.
    static func volumeProblem(_ pod: JSONValue, claims: [String: JSONValue], waitingClasses: Set<String>) -> VolumeCheck {
        var waiting: [JSONValue] = []
        for volume in pod[path: ["spec", "volumes"]]?.array ?? [] {
            guard let name = volume[path: ["persistentVolumeClaim", "claimName"]]?.string else { continue }
            guard let claim = claims["\(pod.metaNamespace)/\(name)"] else {
                return .unschedulable("persistentvolumeclaim \"\(name)\" not found")
            }
            if claim.metaDeletionTimestamp != nil { return .unschedulable("persistentvolumeclaim \"\(name)\" is being deleted") }
            if claim[path: ["status", "phase"]]?.string == "Bound" { continue }
            if waitingClasses.contains(claim[path: ["spec", "storageClassName"]]?.string ?? "") {
                waiting.append(claim)
            } else {
                return .unschedulable("pod has unbound immediate PersistentVolumeClaims")
            }
        }
        return .waitingForConsumer(waiting)
    }

    static let selectedNodeAnnotation = "volume.kubernetes.io/selected-node"

    static func selectNode(_ node: String, for claim: JSONValue, store: GenericStore, context: RequestContext) async {
        guard claim[path: ["metadata", "annotations", selectedNodeAnnotation]]?.string != node else { return }
        _ = try? await store.guaranteedUpdate(namespace: claim.metaNamespace, name: claim.metaName, context: context) { current in
            guard var c = current, c.metaUID == claim.metaUID else { throw StatusError.notFound(store.groupResource, claim.metaName) }
            c[path: ["metadata", "annotations", selectedNodeAnnotation]] = .string(node)
            return c
        }
    }


    /// cpu in cores and memory in bytes the pod asks for (upstream's sum of containers, at least each init container).
    static func requests(_ pod: JSONValue) -> (Double, Double) {
        func sum(_ list: String) -> (Double, Double) {
            (pod[path: ["spec", list]]?.array ?? []).reduce((0.0, 0.0)) { total, c in
                let cpu = c[path: ["resources", "requests", "cpu"]].flatMap { Quantity.value(StructuralSchema.display($0)) } ?? 0
                let memory = c[path: ["resources", "requests", "memory"]].flatMap { Quantity.value(StructuralSchema.display($0)) } ?? 0
                return list == "containers" ? (total.0 + cpu, total.1 + memory) : (max(total.0, cpu), max(total.1, memory))
            }
        }
        let main = sum("containers"), initial = sum("initContainers")
        return (max(main.0, initial.0), max(main.1, initial.1))
    }

    static func allocatable(_ node: JSONValue, _ resource: String) -> Double? {
        node[path: ["status", "allocatable", resource]].flatMap { Quantity.value(StructuralSchema.display($0)) }
    }

    static func freeScore(_ state: NodeState) -> Double {
        let cpu = (allocatable(state.node, "cpu") ?? 1) - state.cpu
        let memory = (allocatable(state.node, "memory") ?? 1) - state.memory
        return cpu / max(allocatable(state.node, "cpu") ?? 1, 0.001) + memory / max(allocatable(state.node, "memory") ?? 1, 1)
    }

    /// Why the pod cannot go to the node, worded as upstream's filter plugins, or nil when it can.
    static func unfit(_ pod: JSONValue, _ state: NodeState) -> String? {
        if let problem = placementProblem(pod, state.node, readiness: true) { return problem }
        let node = state.node
        let r = requests(pod)
        if let cpu = allocatable(node, "cpu"), state.cpu + r.0 > cpu + 1e-9 { return "Insufficient cpu" }
        if let memory = allocatable(node, "memory"), state.memory + r.1 > memory { return "Insufficient memory" }
        if let max = allocatable(node, "pods"), Double(state.pods + 1) > max { return "Too many pods" }
        return nil
    }

    /// The filters that do not count resources (the ones the daemonset controller applies too): cordon, taints with
    /// NoSchedule/NoExecute, nodeSelector and required node affinity. With `readiness`, a node that is not Ready counts
    /// as tainted not-ready, as the node lifecycle controller (absent here) would taint it.
    static func placementProblem(_ pod: JSONValue, _ node: JSONValue, readiness: Bool) -> String? {
        if node[path: ["spec", "unschedulable"]]?.bool == true, !tolerates(pod, key: "node.kubernetes.io/unschedulable", value: "", effect: "NoSchedule") {
            return "node(s) were unschedulable"
        }
        var taints = (node[path: ["spec", "taints"]]?.array ?? []).map {
            (key: $0["key"]?.string ?? "", value: $0["value"]?.string ?? "", effect: $0["effect"]?.string ?? "")
        }
        let ready = node[path: ["status", "conditions"]]?.array?.contains { $0["type"] == "Ready" && $0["status"] == "True" } == true
        if readiness, !ready { taints.append((key: "node.kubernetes.io/not-ready", value: "", effect: "NoSchedule")) }
        for taint in taints where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
            if !tolerates(pod, key: taint.key, value: taint.value, effect: taint.effect) {
                return "node(s) had untolerated taint {\(taint.key): \(taint.value)}"
            }
        }
        let labels = node.metaLabels
        for (key, value) in pod[path: ["spec", "nodeSelector"]]?.stringMap ?? [:] where labels[key] != value {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        if let terms = pod[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]]?.array,
           !terms.isEmpty, !terms.contains(where: { termMatches($0, node) }) {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        return nil
    }

    /// A nodeSelectorTerm: its matchExpressions on the node's labels and its matchFields (only `metadata.name`, which
    /// daemonset pods use to name their node) on the node's name.
    static func termMatches(_ term: JSONValue, _ node: JSONValue) -> Bool {
        let expressions = term["matchExpressions"]?.array ?? []
        let fields = term["matchFields"]?.array ?? []
        if expressions.isEmpty && fields.isEmpty { return false }
        if !expressions.isEmpty, LabelSelector(labelSelector: ["matchExpressions": .array(expressions)])?.matches(node.metaLabels) != true { return false }
        for field in fields {
            guard field["key"]?.string == "metadata.name" else { return false }
            let values = field["values"]?.array?.compactMap(\.string) ?? []
            switch field["operator"]?.string {
            case "In": if !values.contains(node.metaName) { return false }
            case "NotIn": if values.contains(node.metaName) { return false }
            default: return false
            }
        }
        return true
    }


    static func tolerates(_ pod: JSONValue, key: String, value: String, effect: String) -> Bool {
        (pod[path: ["spec", "tolerations"]]?.array ?? []).contains { t in
            let tKey = t["key"]?.string ?? ""
            let op = t["operator"]?.string ?? "Equal"
            let tEffect = t["effect"]?.string ?? ""
            guard tEffect.isEmpty || tEffect == effect else { return false }
            if tKey.isEmpty { return op == "Exists" }
            guard tKey == key else { return false }
            return op == "Exists" || (t["value"]?.string ?? "") == value
        }
    }

    /// upstream's FitError message.
    static func failureMessage(nodes: Int, reasons: [String: Int]) -> String {
        guard nodes > 0 else { return "no nodes available to schedule pods" }
        let parts = reasons.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
        return "0/\(nodes) nodes are available: \(parts). preemption: 0/\(nodes) nodes are available: \(nodes) Preemption is not helpful for scheduling."
    }

    static func bind(_ pod: JSONValue, to node: String, store: GenericStore, context: RequestContext, logger: Logger) async -> Bool {
        do {
            try await Binding.bind(namespace: pod.metaNamespace, name: pod.metaName, uid: pod.metaUID, node: node, store: store, context: context)
            logger.debug("scheduled pod", metadata: ["pod": "\(pod.metaNamespace)/\(pod.metaName)", "node": "\(node)"])
            return true
        } catch {
            logger.debug("binding \(pod.metaNamespace)/\(pod.metaName) to \(node): \(error)")
            return false
        }
    }

    static func markUnschedulable(_ pod: JSONValue, message: String, store: GenericStore, context: RequestContext, events: ControllerEvents) async {
        let current = pod[path: ["status", "conditions"]]?.array?.first { $0["type"] == "PodScheduled" }
        guard current?["message"]?.string != message else { return }
        var status = context
        status.subresource = "status"
        _ = try? await store.guaranteedUpdate(namespace: pod.metaNamespace, name: pod.metaName, context: status) { latest in
            guard var p = latest, p.metaUID == pod.metaUID else { throw StatusError.notFound(GroupResource(group: "", resource: "pods"), pod.metaName) }
            var conditions = (p[path: ["status", "conditions"]]?.array ?? []).filter { $0["type"] != "PodScheduled" }
            conditions.append(["type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": .string(message),
                               "lastProbeTime": .null, "lastTransitionTime": .string(Timestamp.format(Timestamp.now()))])
            p[path: ["status", "conditions"]] = .array(conditions)
            return p
        }
        await events.record(pod, type: "Warning", reason: "FailedScheduling", message: message)
    }
}

/// Binding a pod to a node (the `pods/binding` subresource and the scheduler): only an unbound pod, once. Like
/// upstream's BindingREST it writes spec.nodeName and the PodScheduled condition itself, past the pod strategy
/// (which allows neither on an update).
enum Binding {
    static func bind(namespace: String, name: String, uid: String?, node: String, store: GenericStore, context: RequestContext) async throws {
        let resource = GroupResource(group: "", resource: "pods")
        let key = store.definition.key(namespace: namespace, name: name)
        for _ in 0..<8 {
            guard let kv = try await store.storage.get(key) else { throw StatusError.notFound(resource, name) }
            var pod = try store.decode(kv)
            if let uid, !uid.isEmpty, pod.metaUID != uid {
                throw StatusError.conflict(resource, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(pod.metaUID)")
            }
            if let bound = pod[path: ["spec", "nodeName"]]?.string, !bound.isEmpty {
                throw StatusError.conflict(resource, name, "pod \(name) is already assigned to node \"\(bound)\"")
            }
            if pod.metaDeletionTimestamp != nil {
                throw StatusError.conflict(resource, name, "pod \(name) is being deleted, cannot be assigned to a host")
            }
            let old = pod
            pod[path: ["spec", "nodeName"]] = .string(node)
            var conditions = (pod[path: ["status", "conditions"]]?.array ?? []).filter { $0["type"] != "PodScheduled" }
            conditions.append(["type": "PodScheduled", "status": "True", "lastProbeTime": .null,
                               "lastTransitionTime": .string(Timestamp.format(Timestamp.now()))])
            pod[path: ["status", "conditions"]] = .array(conditions)
            ManagedFields.recordUpdate(old: old, new: &pod, manager: context.manager, subresource: "binding",
                                       apiVersion: "v1", shape: FieldShape.of(store.definition))
            do {
                _ = try await store.storage.update(key, value: store.encode(pod), expectedModRevision: kv.modRevision)
                return
            } catch StorageError.conflict {
                continue
            }
        }
        throw StatusError.conflict(resource, name, StatusError.optimisticLockMessage)
    }
}
