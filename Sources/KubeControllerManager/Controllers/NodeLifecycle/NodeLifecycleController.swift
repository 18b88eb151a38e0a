import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging
import Synchronization

/// Upstream's node lifecycle controller without a cloud: every `--node-monitor-period` it checks each Node's Ready
/// condition heartbeat and its Lease in kube-node-lease, marks the conditions of a node that went quiet for the grace
/// period Unknown, and marks its pods NotReady; a work queue of node names keeps the condition taints
/// (`node.kubernetes.io/unreachable`, `not-ready`, pressure and unschedulable) in line with the node's conditions,
/// the NoExecute ones as the zone states allow (ZoneDisruption). Evicting pods from NoExecute-tainted nodes is the
/// taint-eviction controller's.
public final class NodeLifecycleController: Controller {
    static let leaseNamespace = "kube-node-lease"

    let context: ControllerContext
    let nodes: SharedInformer
    let leases: SharedInformer
    let pods: SharedInformer
    let worker: QueueWorker
    /// What the monitor pass saw of each node last time (upstream's nodeHealthMap), the nodes it knows (for the
    /// RegisteredNode/RemovingNode events), and nodes whose pods could not all be marked NotReady.
    let health = Mutex<[String: NodeHealth]>([:])
    let known = Mutex<Set<String>>([])
    let nodesToRetry = Mutex<Set<String>>([])
    /// The zone states of the last pass; the taint sync reads what NoExecute taints may do from them.
    let zones = Mutex(ZoneDisruption())
    /// When each zone last had a node newly NoExecute-tainted (upstream's per-zone token buckets, burst one).
    let lastTainted = Mutex<[String: Double]>([:])

    public init(context: ControllerContext) {
        self.context = context
        nodes = context.informers.informer(.nodes)
        leases = context.informers.informer(.leases)
        pods = context.informers.informer(.pods)
        pods.addIndexer(Indexes.nodeName, Indexes.byNodeName)
        worker = QueueWorker(name: "node_lifecycle_controller", workers: 1, clock: context.clock, logger: context.logger)
        let queue = worker.queue
        nodes.addEventHandler(EventHandler(
            onAdd: { queue.add(Lifecycle.name($0)) },
            onUpdate: { old, new in
                // Only what the taints derive from: conditions, unschedulable and the taints themselves.
                if old["status"]?["conditions"] != new["status"]?["conditions"]
                    || old["spec"] != new["spec"] { queue.add(Lifecycle.name(new)) }
            }))
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in await worker.run(context: context) { try await self.syncTaints($0) } }
            group.addTask { [self] in await monitorLoop() }
            await group.waitForAll()
        }
    }

    private func monitorLoop() async {
        guard await context.waitForCacheSync("node_lifecycle_controller monitor") else { return }
        while !Task.isCancelled {
            await monitorNodeHealth()
            do { try await context.clock.sleep(for: max(context.options.nodeMonitorPeriod, 0.1)) } catch { return }
        }
    }

    /// One pass over every node (upstream's monitorNodeHealth): the cost is the node count, once a period.
    func monitorNodeHealth() async {
        let all = nodes.cache.list()
        let names = Set(all.map(Lifecycle.name))
        let (added, removed) = known.withLock { known -> (Set<String>, Set<String>) in
            defer { known = names }
            return (names.subtracting(known), known.subtracting(names))
        }
        for node in all where added.contains(Lifecycle.name(node)) {
            let name = Lifecycle.name(node)
            context.logger.info("Controller observed a new Node: \"\(name)\"")
            context.recorder.event(Lifecycle.reference(kind: "Node", name: name, uid: Lifecycle.uid(node)),
                                   reason: "RegisteredNode", message: "Registered Node \(name) in Controller")
        }
        for name in removed {
            context.logger.info("Controller observed a Node deletion: \"\(name)\"")
            context.recorder.event(Lifecycle.reference(kind: "Node", name: name, uid: name),
                                   reason: "RemovingNode", message: "Removing Node \(name) from Controller")
            _ = health.withLock { $0.removeValue(forKey: name) }
            _ = nodesToRetry.withLock { $0.remove(name) }
        }
        var readyStatus: [String: String?] = [:]
        for node in all {
            if Task.isCancelled { return }
            readyStatus[Lifecycle.name(node)] = await monitor(node)
        }
        handleDisruption(all, readyStatus: readyStatus)
    }

    /// Upstream's handleDisruption: new zone states; entering or leaving master disruption mode, or a zone changing
    /// state, queues every node so its NoExecute taints follow. Leaving it gives every node a fresh grace period,
    /// since none could reach the control plane meanwhile.
    func handleDisruption(_ all: [JSONValue], readyStatus: [String: String?]) {
        let next = ZoneDisruption.compute(nodes: all) { node in
            // A node the pass could not judge (logged there) counts with its condition as stored, or without one.
            (readyStatus[Lifecycle.name(node)] ?? nil) ?? (try? Workloads.typed(node, as: Node.self))?.object.status.condition("Ready")?.status
        }
        let previous = zones.withLock { zones -> ZoneDisruption in
            defer { zones = next }
            return zones
        }
        if next.allDisrupted && !previous.allDisrupted {
            context.logger.info("Controller detected that all Nodes are not-Ready. Entering master disruption mode.")
        }
        if !next.allDisrupted && previous.allDisrupted {
            context.logger.info("Controller detected that some Nodes are Ready. Exiting master disruption mode.")
            let now = context.clock.now()
            health.withLock { health in
                for name in health.keys {
                    health[name]?.probeTimestamp = now
                    health[name]?.readyTransitionTimestamp = now
                }
            }
        }
        for (zone, state) in next.states where previous.states[zone] != state {
            context.logger.info("Controller detected that zone \"\(zone)\" is now in state \(state)")
        }
        let everyNode = next.allDisrupted != previous.allDisrupted || next.states != previous.states
        for node in all {
            let name = Lifecycle.name(node)
            if everyNode || previous.readyStatus[name] != next.readyStatus[name] { worker.queue.add(name) }
        }
    }

    /// Monitors one node; its Ready status after the pass (nil when it has none or the pass failed).
    private func monitor(_ cached: JSONValue) async -> String? {
        let name = Lifecycle.name(cached)
        var node = cached
        var result: NodeHealthResult?
        for attempt in 0..<5 {
            do {
                result = try await tryUpdateNodeHealth(node)
                break
            } catch let error as APIError where error.isConflict && attempt < 4 {
                guard let fresh = try? await context.client.get(.nodes, name: name) else { break }
                node = fresh
            } catch {
                context.logger.warning("Update health of Node \"\(name)\" from Controller error: \(error). Skipping - no pods will be evicted.")
                return nil
            }
        }
        guard let result, let current = result.current else {
            _ = nodesToRetry.withLock { $0.remove(name) }
            return nil
        }
        let currentStatus = current.status
        let observedStatus = result.observed.status
        let needsRetry = nodesToRetry.withLock { $0.contains(name) }
        var markNotReady = false
        if currentStatus != "True" && observedStatus == "True" {
            // Reported once, on the change this controller made.
            context.recorder.event(Lifecycle.reference(kind: "Node", name: name, uid: name),
                                   reason: "NodeNotReady", message: "Node \(name) status is now: NodeNotReady")
            markNotReady = true
        } else if needsRetry && observedStatus != "True" {
            markNotReady = true
        }
        if markNotReady, !(await markPodsNotReady(on: name)) {
            nodesToRetry.withLock { _ = $0.insert(name) }
            return currentStatus
        }
        _ = nodesToRetry.withLock { $0.remove(name) }
        return currentStatus
    }

    /// Upstream's MarkPodsNotReady: the Ready condition of every pod on the node goes False, with a NodeNotReady
    /// event on each pod changed. False when a write failed (the node is retried next pass).
    func markPodsNotReady(on nodeName: String) async -> Bool {
        var ok = true
        let now = context.clock.timestamp()
        for pod in pods.cache.byIndex(Indexes.nodeName, nodeName) where Lifecycle.nodeName(pod) == nodeName {
            var updated = pod
            do {
                guard var ready = try Lifecycle.podConditions(pod).first(where: { $0.type == "Ready" }) else { continue }
                ready.status = "False"
                guard try Lifecycle.setPodCondition(&updated, ready, now: now) else { continue }
            } catch {
                // Left as it is: its kubelet or its next change will say more than a guess here.
                context.logger.warning("node-lifecycle-controller: not marking a pod NotReady: \(error)")
                continue
            }
            context.logger.info("Updating ready status of pod \(Lifecycle.namespace(pod))/\(Lifecycle.name(pod)) to false")
            do {
                _ = try await context.client.updateStatus(.pods, updated)
            } catch let error as APIError where error.isNotFound {
                continue
            } catch {
                context.logger.warning("Failed to update status for pod \(Lifecycle.namespace(pod))/\(Lifecycle.name(pod)): \(error)")
                ok = false
                continue
            }
            context.recorder.event(pod, type: "Warning", reason: "NodeNotReady", message: "Node is not ready")
        }
        return ok
    }

    /// Puts the node's condition taints in line with its conditions (taintNodeByCondition and the NoExecute
    /// taints of processTaintBaseEviction, as the zone states allow, a zone's nodes newly tainted NoExecute at
    /// most one per 10 s as upstream's --node-eviction-rate; a node kept waiting is queued again for its turn).
    func syncTaints(_ name: String) async throws {
        guard let json = nodes.cache.get(name) else { return }
        let typed: Typed<Node>
        do {
            typed = try Workloads.typed(json)
        } catch {
            context.logger.warning("node-lifecycle-controller: skipping the taints of \(error)")
            return
        }
        let node = typed.object
        let current = node.spec.taints ?? []
        let (policy, status, interval) = zones.withLock { ($0.policy(for: json), $0.readyStatus[name], $0.taintInterval(for: json)) }
        let stamp = context.clock.timestamp()
        var desired = NodeTaints.desired(for: node, now: stamp, policy: policy, evictionStatus: status)
        if !NodeTaints.hasNoExecute(current) && NodeTaints.hasNoExecute(desired) {
            let zone = ZoneDisruption.zoneKey(json)
            let now = context.clock.now()
            let wait = lastTainted.withLock { last -> Double in
                if let at = last[zone], now - at < interval { return interval - (now - at) }
                last[zone] = now
                return 0
            }
            if wait > 0 {
                desired = NodeTaints.desired(for: node, now: stamp, policy: .noNewTaints, evictionStatus: status)
                worker.queue.add(name, after: wait)
            }
        }
        guard !NodeTaints.sameSet(current, desired) else { return }
        let added = desired.filter { !current.contains($0) }.map(\.key)
        let removed = current.filter { !desired.contains($0) }.map(\.key)
        context.logger.info("Node \"\(name)\" taints: adding \(added), removing \(removed)")
        do {
            _ = try await context.client.update(.nodes, typed.modified { $0.spec.taints = desired.isEmpty ? nil : desired })
        } catch let error as APIError where error.isNotFound {
            return
        }
    }
}
