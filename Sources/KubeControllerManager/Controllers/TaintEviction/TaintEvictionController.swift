import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging
import Synchronization

/// Upstream's taint-eviction-controller (the NoExecuteTaintManager that used to live in the node lifecycle
/// controller): a pod on a node with NoExecute taints it does not tolerate is deleted at once; one that tolerates
/// them for `tolerationSeconds` is deleted when the shortest of those runs out, counted from when this controller
/// first saw the pod under the taints; a pod whose node loses the taints first is spared. The queue holds pod keys;
/// a node whose NoExecute taints change queues its pods.
public final class TaintEvictionController: Controller {
    struct Scheduled: Sendable {
        var createdAt: Double
        var fireAt: Double
    }

    let context: ControllerContext
    let nodes: SharedInformer
    let pods: SharedInformer
    let worker: QueueWorker
    let scheduled = Mutex<[String: Scheduled]>([:])

    public init(context: ControllerContext) {
        self.context = context
        nodes = context.informers.informer(.nodes)
        pods = context.informers.informer(.pods)
        pods.addIndexer(Indexes.nodeName, Indexes.byNodeName)
        worker = QueueWorker(name: "taint-eviction-controller", workers: 8, clock: context.clock, logger: context.logger)
        let queue = worker.queue
        pods.addEventHandler(EventHandler(
            onAdd: { pod in if !Lifecycle.nodeName(pod).isEmpty { queue.add(ObjectCache.key(pod)) } },
            onUpdate: { old, new in
                if Lifecycle.nodeName(new).isEmpty { return }
                if Lifecycle.nodeName(old) != Lifecycle.nodeName(new)
                    || old[path: ["spec", "tolerations"]] != new[path: ["spec", "tolerations"]]
                    || Lifecycle.isDeleting(old) != Lifecycle.isDeleting(new) { queue.add(ObjectCache.key(new)) }
            },
            onDelete: { pod in queue.add(ObjectCache.key(pod)) }))
        let podCache = pods.cache
        let enqueuePods: @Sendable (JSONValue) -> Void = { node in
            for pod in podCache.byIndex(Indexes.nodeName, Lifecycle.name(node)) { queue.add(ObjectCache.key(pod)) }
        }
        nodes.addEventHandler(EventHandler(
            // A node whose taints do not decode queues its pods: their syncs say so.
            onAdd: { node in if (try? Tolerations.noExecuteTaints(node))?.isEmpty != true { enqueuePods(node) } },
            onUpdate: { old, new in
                let before = try? Tolerations.noExecuteTaints(old), after = try? Tolerations.noExecuteTaints(new)
                if before != after || after == nil { enqueuePods(new) }
            },
            onDelete: enqueuePods))
    }

    public func run() async {
        await worker.run(context: context) { try await self.sync($0) }
    }

    func sync(_ key: String) async throws {
        guard let pod = pods.cache.get(key), !Lifecycle.isDeleting(pod), !Lifecycle.nodeName(pod).isEmpty else {
            cancel(key, event: false)
            return
        }
        let taints: [Taint], tolerations: [Toleration]
        do {
            taints = try nodes.cache.get(Lifecycle.nodeName(pod)).map(Tolerations.noExecuteTaints) ?? []
            tolerations = taints.isEmpty ? [] : try Tolerations.tolerations(pod)
        } catch {
            // Neither evicted nor spared on a guess; the next change of the pod or node queues it again.
            context.logger.warning("taint-eviction-controller: skipping \(key): \(error)")
            return
        }
        guard !taints.isEmpty else {
            cancel(key, event: true)
            return
        }
        guard let used = Tolerations.matching(taints: taints, tolerations: tolerations) else {
            context.logger.info("Not all taints are tolerated after update for pod \(key) on node \(Lifecycle.nodeName(pod))")
            cancel(key, event: false)
            try await evict(pod)
            return
        }
        guard let seconds = Tolerations.minimumSeconds(used) else {
            // Tolerated for good: nothing to wait for.
            cancel(key, event: true)
            return
        }
        let now = context.clock.now()
        let entry = scheduled.withLock { scheduled -> Scheduled in
            let createdAt = scheduled[key]?.createdAt ?? now
            let entry = Scheduled(createdAt: createdAt, fireAt: createdAt + seconds)
            scheduled[key] = entry
            return entry
        }
        if now >= entry.fireAt {
            _ = scheduled.withLock { $0.removeValue(forKey: key) }
            try await evict(pod)
        } else {
            worker.queue.add(key, after: entry.fireAt - now)
        }
    }

    private func cancel(_ key: String, event: Bool) {
        guard scheduled.withLock({ $0.removeValue(forKey: key) }) != nil, event else { return }
        let (namespace, name) = Lifecycle.split(key)
        context.logger.info("Cancelling TaintManager eviction of pod \(key)")
        context.recorder.event(Lifecycle.reference(kind: "Pod", namespace: namespace, name: name, uid: ""),
                               reason: "TaintManagerEviction", message: "Cancelling deletion of Pod \(key)")
    }

    /// addConditionAndDeletePod: the DisruptionTarget condition says why, then the pod is deleted (the pod it was;
    /// a new pod of the same name is not).
    private func evict(_ pod: JSONValue) async throws {
        let namespace = Lifecycle.namespace(pod), name = Lifecycle.name(pod)
        context.logger.info("Deleting pod \(namespace)/\(name) (taint-eviction-controller)")
        context.recorder.event(Lifecycle.reference(kind: "Pod", namespace: namespace, name: name, uid: ""),
                               reason: "TaintManagerEviction", message: "Marking for deletion Pod \(namespace)/\(name)")
        let now = context.clock.timestamp()
        do {
            try await context.client.retryUpdate(.pods, namespace: namespace, name: name, subresource: "status") { current in
                guard Lifecycle.uid(current) == Lifecycle.uid(pod) else { return nil }
                var updated = current
                let condition = PodCondition(type: "DisruptionTarget", status: "True", reason: "DeletionByTaintManager",
                                             message: "Taint manager: deleting due to NoExecute taint")
                return try Lifecycle.setPodCondition(&updated, condition, now: now) ? updated : nil
            }
            try await context.client.delete(.pods, namespace: namespace, name: name,
                                            options: DeleteOptions(preconditionUID: Lifecycle.uid(pod)))
        } catch let error as APIError where error.isNotFound {
            return
        } catch let error as UndecodableObject {
            context.logger.warning("taint-eviction-controller: skipping \(namespace)/\(name): \(error)")
        }
    }
}
