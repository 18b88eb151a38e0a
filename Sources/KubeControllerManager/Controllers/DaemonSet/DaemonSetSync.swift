import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// One DaemonSet's reconciliation: which nodes should run its pod, which pods go, which are made, then the status.
struct DaemonSetSync {
    let typed: Typed<DaemonSet>
    let key: String
    let controller: DaemonSetController

    /// Creates and deletes only with `manage` (the caches have shown the last sync's creations and deletions).
    var ds: JSONValue { typed.json }

    func run(owned: [WorkloadPod], nodes: [JSONValue], manage: Bool) async throws {
        typealias C = DaemonSetController
        let spec = typed.object.spec
        let template = spec.template ?? .emptyObject
        let hash = DeploymentController.templateHash(template, collisionCount: Int64(typed.object.status.collisionCount ?? 0))
        do {
            try await controller.history.record(owner: ds, name: "\(ds.metaName)-\(hash)", hashLabel: C.hashLabel, hash: hash)
        } catch is RevisionCollision {
            // Another template has this revision's name: the next hash is made with a higher collisionCount.
            try await controller.sets.updateStatus(typed) { d in d.status.collisionCount = (d.status.collisionCount ?? 0).addingSaturated(1) }
            return
        }
        let probe = try C.daemonPod(typed, template: template, hash: hash, node: "")
        let rollingUpdate = spec.updateStrategy.type != "OnDelete"
        let maxUnavailable = max(1, Workloads.scaled(spec.updateStrategy.rollingUpdate?.maxUnavailable,
                                                     of: nodes.count, roundUp: true, default: 1))

        var desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0
        var unavailable = 0
        var toCreate: [String] = []
        var toDelete: [WorkloadPod] = []
        var outdated: [WorkloadPod] = []
        var byNode: [String: [WorkloadPod]] = [:]
        for pod in owned where !pod.isTerminating {
            if let node = C.nodeName(of: pod.json) { byNode[node, default: []].append(pod) }
        }
        for node in nodes.sorted(by: { $0.metaName < $1.metaName }) {
            let name = node.metaName
            let onNode = byNode[name] ?? []
            if NodePlacement.problem(probe, node) != nil {
                if !onNode.isEmpty { misscheduled += 1 }
                toDelete += onNode
                continue
            }
            desired += 1
            // A failed daemon pod is deleted and made again (the kubelet restarts containers of a running one).
            toDelete += onNode.filter { $0.status.phase == "Failed" }
            let running = onNode.filter { $0.status.phase != "Failed" }
                .sorted { ($0.json.metaCreationTimestamp ?? "") < ($1.json.metaCreationTimestamp ?? "") }
            guard let keep = running.first else {
                toCreate.append(name)
                unavailable += 1
                continue
            }
            toDelete += running.dropFirst()
            current += 1
            if keep.isReady { ready += 1 } else { unavailable += 1 }
            if keep.labels[C.hashLabel] == hash { updated += 1 } else { outdated.append(keep) }
        }
        // Pods whose node is gone go too (upstream's pod garbage collector would delete them).
        let nodeNames = Set(nodes.map(\.metaName))
        toDelete += owned.filter { pod in C.nodeName(of: pod.json).map { !nodeNames.contains($0) } ?? true }
        // Old pods go unavailable ones first, then as many as maxUnavailable leaves room for.
        if rollingUpdate {
            var budget = maxUnavailable - unavailable
            for pod in outdated.sorted(by: { !$0.isReady && $1.isReady }) {
                if !pod.isReady {
                    toDelete.append(pod)
                } else if budget > 0 {
                    toDelete.append(pod)
                    budget -= 1
                }
            }
        }
        toDelete = toDelete.filter { !$0.isTerminating }

        // A failed write is retried with backoff once the rest of this sync (other nodes, the status) is done.
        var failure: (any Error)?
        if manage, !toDelete.isEmpty || !toCreate.isEmpty {
            controller.expectations.expect(key, adds: toCreate.count, deletes: toDelete.count)
            for pod in toDelete {
                do {
                    try await controller.pods.delete(namespace: pod.json.metaNamespace, name: pod.name, options: Workloads.deleteOptions(pod.json))
                    controller.context.recorder.event(ds, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.name)")
                } catch {
                    controller.expectations.deletionObserved(key)
                    if (error as? APIError)?.isNotFound != true { failure = failure ?? error }
                }
            }
            for node in toCreate {
                do {
                    let created = try await controller.pods.create(namespace: ds.metaNamespace,
                                                                   object: try C.daemonPod(typed, template: template, hash: hash, node: node))
                    controller.context.recorder.event(ds, reason: "SuccessfulCreate", message: "Created pod: \(created.metaName)")
                } catch {
                    controller.expectations.creationObserved(key)
                    controller.context.recorder.event(ds, type: "Warning", reason: "FailedCreate", message: "Error creating: \(Workloads.message(error))")
                    failure = failure ?? error
                }
            }
        }
        // collisionCount is left as stored: status validation refuses one that goes away or down.
        try await controller.sets.updateStatus(typed) { d in
            d.status.currentNumberScheduled = Workloads.int32(current)
            d.status.desiredNumberScheduled = Workloads.int32(desired)
            d.status.numberMisscheduled = Workloads.int32(misscheduled)
            d.status.numberReady = Workloads.int32(ready)
            d.status.updatedNumberScheduled = Workloads.int32(updated)
            d.status.numberAvailable = Workloads.int32(ready)
            d.status.numberUnavailable = Workloads.int32(unavailable)
            d.status.observedGeneration = max(0, typed.object.metadata.generation ?? 1)
        }
        let inUse = Set(owned.compactMap { $0.labels[C.hashLabel].map { "\(ds.metaName)-\($0)" } } + ["\(ds.metaName)-\(hash)"])
        await controller.history.truncate(owner: ds, limit: Int(max(0, spec.revisionHistoryLimit ?? 10)), inUse: inUse)
        if let failure { throw failure }
    }
}
