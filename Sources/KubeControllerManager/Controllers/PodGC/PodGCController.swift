import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging
import Synchronization

/// Upstream's pod garbage collector: every 20 s (gcCheckPeriod) a pass over the pod cache force-deletes terminated
/// pods beyond `--terminated-pod-gc-threshold` (oldest first), pods bound to nodes that no longer exist (once the
/// node has been missing for the 40 s quarantine and the API confirms it is gone), pods being deleted on
/// out-of-service nodes, and pods being deleted that were never scheduled. A periodic pass rather than a queue
/// because upstream's quarantine is a span of time, not an event; the pass reads only the caches, through indexes,
/// so that a pass over a large idle cluster costs the number of nodes, not of pods.
public final class PodGCController: Controller {
    static let gcCheckPeriod: Double = 20
    static let quarantineTime: Double = 40
    static let outOfServiceTaint = "node.kubernetes.io/out-of-service"
    /// The pods a pass acts on, filed as they are stored.
    static let stateIndex = "podgc.state"
    enum State {
        static let terminal = "terminal"
        static let deletingBound = "deleting-bound"
        static let deletingUnbound = "deleting-unbound"
    }
    static let byState: ObjectCache.IndexFunction = { pod in
        var states: [String] = []
        if Lifecycle.isPodTerminal(pod) { states.append(State.terminal) }
        if Lifecycle.isDeleting(pod) { states.append(Lifecycle.nodeName(pod).isEmpty ? State.deletingUnbound : State.deletingBound) }
        return states
    }

    let context: ControllerContext
    let pods: SharedInformer
    let nodes: SharedInformer
    /// Nodes pods are bound to that the cache lacks, with when that was first seen (upstream's nodeQueue delay).
    let missingSince = Mutex<[String: Double]>([:])

    public init(context: ControllerContext) {
        self.context = context
        pods = context.informers.informer(.pods)
        pods.addIndexer(Indexes.nodeName, Indexes.byNodeName)
        pods.addIndexer(Self.stateIndex, Self.byState)
        nodes = context.informers.informer(.nodes)
    }

    public func run() async {
        context.logger.info("Starting GC controller")
        defer { context.logger.info("Shutting down GC controller") }
        guard await context.waitForCacheSync("GC") else { return }
        while !Task.isCancelled {
            await gc()
            do { try await context.clock.sleep(for: Self.gcCheckPeriod) } catch { return }
        }
    }

    func gc() async {
        if context.options.terminatedPodGCThreshold > 0 { await gcTerminated() }
        await gcTerminating(pods.cache.byIndex(Self.stateIndex, State.deletingBound))
        await gcOrphaned()
        await gcUnscheduledTerminating(pods.cache.byIndex(Self.stateIndex, State.deletingUnbound))
    }

    func gcTerminated() async {
        let excess = pods.cache.indexCount(Self.stateIndex, State.terminal) - context.options.terminatedPodGCThreshold
        guard excess > 0 else { return }
        let terminated = pods.cache.byIndex(Self.stateIndex, State.terminal)
        context.logger.info("Garbage collecting \(excess) terminated pods (threshold \(context.options.terminatedPodGCThreshold))")
        // Oldest first; a pod without a parsable creation time counts as oldest.
        let oldest = terminated.sorted { (Lifecycle.creationTime($0) ?? 0) < (Lifecycle.creationTime($1) ?? 0) }.prefix(excess)
        for pod in oldest { await markFailedAndDelete(pod, condition: nil) }
    }

    /// Pods being deleted on nodes that are not Ready and carry the out-of-service taint: their kubelet will not
    /// finish them.
    func gcTerminating(_ all: [JSONValue]) async {
        for pod in all where Lifecycle.isDeleting(pod) && !Lifecycle.nodeName(pod).isEmpty {
            guard let json = nodes.cache.get(Lifecycle.nodeName(pod)) else { continue }
            let node: Node
            do {
                node = try Workloads.typed(json).object
            } catch {
                context.logger.warning("pod-garbage-collector: skipping pod \(ObjectCache.key(pod)): \(error)")
                continue
            }
            guard node.status.condition("Ready")?.status != "True",
                  (node.spec.taints ?? []).contains(where: { $0.key == Self.outOfServiceTaint }) else { continue }
            context.logger.info("Garbage collecting pod \(ObjectCache.key(pod)) that is terminating on out-of-service node \(Lifecycle.nodeName(pod))")
            await markFailedAndDelete(pod, condition: nil)
        }
    }

    func gcOrphaned() async {
        let now = context.clock.now()
        let missing = Set(pods.cache.indexValues(Indexes.nodeName).filter { !$0.isEmpty && nodes.cache.get($0) == nil })
        // Nodes that came back (or whose pods went) leave quarantine.
        let due = missingSince.withLock { since -> [String] in
            since = since.filter { missing.contains($0.key) }
            for node in missing where since[node] == nil { since[node] = now }
            return since.filter { now - $0.value >= Self.quarantineTime }.map(\.key)
        }
        for node in due {
            // The cache can lag: only a NotFound from the API makes a node gone.
            do {
                _ = try await context.client.get(.nodes, name: node)
                continue
            } catch let error as APIError where error.isNotFound {
            } catch {
                context.logger.warning("Error while getting node \"\(node)\": \(error)")
                continue
            }
            for pod in pods.cache.byIndex(Indexes.nodeName, node) where Lifecycle.nodeName(pod) == node {
                context.logger.info("Found orphaned Pod \(ObjectCache.key(pod)) assigned to the Node \(node). Deleting.")
                await markFailedAndDelete(pod, condition: PodCondition(type: "DisruptionTarget", status: "True", reason: "DeletionByPodGC",
                                                                        message: "PodGC: node no longer exists"))
            }
        }
    }

    func gcUnscheduledTerminating(_ all: [JSONValue]) async {
        for pod in all where Lifecycle.isDeleting(pod) && Lifecycle.nodeName(pod).isEmpty {
            context.logger.info("Found unscheduled terminating Pod \(ObjectCache.key(pod)) not assigned to any Node. Deleting.")
            await markFailedAndDelete(pod, condition: nil)
        }
    }

    /// markFailedAndDeletePod: a pod not yet terminal is marked Failed (with the DisruptionTarget condition saying
    /// why, when there is one) so that its owner counts it, then force-deleted.
    func markFailedAndDelete(_ pod: JSONValue, condition: PodCondition?) async {
        let namespace = Lifecycle.namespace(pod), name = Lifecycle.name(pod)
        do {
            if !Lifecycle.isPodTerminal(pod) {
                let now = context.clock.timestamp()
                try await context.client.retryUpdate(.pods, namespace: namespace, name: name, subresource: "status") { current in
                    guard Lifecycle.uid(current) == Lifecycle.uid(pod) else { return nil }
                    var updated = current
                    updated[path: ["status", "phase"]] = "Failed"
                    if let condition { _ = try Lifecycle.setPodCondition(&updated, condition, now: now) }
                    return updated
                }
            }
            try await context.client.delete(.pods, namespace: namespace, name: name,
                                            options: DeleteOptions(gracePeriodSeconds: 0, preconditionUID: Lifecycle.uid(pod)))
        } catch let error as APIError where error.isNotFound {
        } catch {
            context.logger.warning("Failed to delete pod \(namespace)/\(name): \(error)")
        }
    }
}
