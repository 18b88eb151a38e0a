import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// One DaemonSet's reconciliation: which nodes should run its pod, which pods go, which are made, then the status.
struct DaemonSetSync {
    let ds: JSONValue
    let key: String
    let controller: DaemonSetController

    /// Creates and deletes only with `manage` (the caches have shown the last sync's creations and deletions).
    func run(owned: [JSONValue], nodes: [JSONValue], manage: Bool) async throws {
        typealias C = DaemonSetController
        let template = ds[path: ["spec", "template"]] ?? .emptyObject
        let hash = DeploymentController.templateHash(template, collisionCount: Int64(ds.goInt32(["status", "collisionCount"]) ?? 0))
        let probe = C.daemonPod(ds, template: template, hash: hash, node: "")
        let rollingUpdate = ds[path: ["spec", "updateStrategy", "type"]]?.string != "OnDelete"
        let maxUnavailable = max(1, Workloads.scaled(ds[path: ["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"]],
                                                     of: nodes.count, roundUp: true, default: 1))

        var desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0
        var unavailable = 0
        var toCreate: [String] = []
        var toDelete: [JSONValue] = []
        var outdated: [JSONValue] = []
        var byNode: [String: [JSONValue]] = [:]
        for pod in owned where pod.metaDeletionTimestamp == nil {
            if let node = C.nodeName(of: pod) { byNode[node, default: []].append(pod) }
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
            toDelete += onNode.filter { $0[path: ["status", "phase"]]?.string == "Failed" }
            let running = onNode.filter { $0[path: ["status", "phase"]]?.string != "Failed" }
                .sorted { ($0.metaCreationTimestamp ?? "") < ($1.metaCreationTimestamp ?? "") }
            guard let keep = running.first else {
                toCreate.append(name)
                unavailable += 1
                continue
            }
            toDelete += running.dropFirst()
            current += 1
            if Workloads.isReady(keep) { ready += 1 } else { unavailable += 1 }
            if keep.metaLabels[C.hashLabel] == hash { updated += 1 } else { outdated.append(keep) }
        }
        // Pods whose node is gone go too (upstream's pod garbage collector would delete them).
        let nodeNames = Set(nodes.map(\.metaName))
        toDelete += owned.filter { pod in C.nodeName(of: pod).map { !nodeNames.contains($0) } ?? true }
        // Old pods go unavailable ones first, then as many as maxUnavailable leaves room for.
        if rollingUpdate {
            var budget = maxUnavailable - unavailable
            for pod in outdated.sorted(by: { !Workloads.isReady($0) && Workloads.isReady($1) }) {
                if !Workloads.isReady(pod) {
                    toDelete.append(pod)
                } else if budget > 0 {
                    toDelete.append(pod)
                    budget -= 1
                }
            }
        }
        toDelete = toDelete.filter { $0.metaDeletionTimestamp == nil }

        // A failed write is retried with backoff once the rest of this sync (other nodes, the status) is done.
        var failure: (any Error)?
        if manage, !toDelete.isEmpty || !toCreate.isEmpty {
            controller.expectations.expect(key, adds: toCreate.count, deletes: toDelete.count)
            for pod in toDelete {
                do {
                    try await controller.pods.delete(namespace: pod.metaNamespace, name: pod.metaName, options: Workloads.deleteOptions(pod))
                    controller.context.recorder.event(ds, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.metaName)")
                } catch {
                    controller.expectations.deletionObserved(key)
                    if (error as? APIError)?.isNotFound != true { failure = failure ?? error }
                }
            }
            for node in toCreate {
                do {
                    let created = try await controller.pods.create(namespace: ds.metaNamespace,
                                                                   object: C.daemonPod(ds, template: template, hash: hash, node: node))
                    controller.context.recorder.event(ds, reason: "SuccessfulCreate", message: "Created pod: \(created.metaName)")
                } catch {
                    controller.expectations.creationObserved(key)
                    controller.context.recorder.event(ds, type: "Warning", reason: "FailedCreate", message: "Error creating: \(Workloads.message(error))")
                    failure = failure ?? error
                }
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
        try await controller.sets.updateStatus(ds, status)
        if let failure { throw failure }
    }
}
