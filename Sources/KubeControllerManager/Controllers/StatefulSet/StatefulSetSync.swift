import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// One StatefulSet's reconciliation (upstream's updateStatefulSet, in short): what to create and delete is decided
/// from one look at its pods, then done, then the status written.
struct StatefulSetSync {
    let sts: JSONValue
    let key: String
    let owned: [JSONValue]
    let controller: StatefulSetController

    var spec: JSONValue { sts["spec"] ?? .emptyObject }
    var recorder: EventRecorder { controller.context.recorder }

    /// Creates and deletes only with `manage` (the caches have shown the last sync's creations and deletions).
    func run(manage: Bool) async throws {
        // int32 fields, clamped and non-negative: the ordinal range below then fits an Int.
        let replicas = max(0, spec.goInt32(["replicas"]) ?? 1)
        let start = max(0, spec.goInt32(["ordinals", "start"]) ?? 0)
        let ordered = spec["podManagementPolicy"]?.string != "Parallel"
        let revision = "\(sts.metaName)-" + DeploymentController.templateHash(spec["template"] ?? .emptyObject,
                                                           collisionCount: Int64(sts.goInt32(["status", "collisionCount"]) ?? 0))
        var byOrdinal: [Int: JSONValue] = [:]
        for pod in owned { if let n = ordinal(of: pod) { byOrdinal[n] = pod } }
        let wanted = start..<(start + replicas)

        // Failed pods are deleted and made again (the kubelet restarts the containers of running ones).
        var victims: [JSONValue] = []
        for (n, pod) in byOrdinal.sorted(by: { $0.key < $1.key })
        where pod[path: ["status", "phase"]]?.string == "Failed" && pod.metaDeletionTimestamp == nil {
            victims.append(pod)
            byOrdinal[n] = nil
        }

        // The walk stops once blocked or after a burst of creations, so a huge (valid) replica count costs a sync what
        // it creates, not a walk over two billion ordinals.
        var blocked = false
        var toCreate: [Int] = []
        for n in wanted {
            if blocked || toCreate.count >= StatefulSetController.burst { break }
            guard let pod = byOrdinal[n] else {
                toCreate.append(n)
                if ordered { blocked = true }
                continue
            }
            // Under OrderedReady the next ordinal waits for this one to be Running and Ready (and not terminating).
            if ordered, pod.metaDeletionTimestamp != nil || !isRunningAndReady(pod) { blocked = true }
        }

        // Condemned pods, highest ordinal first; OrderedReady takes one at a time once the rest are ready.
        var scaledDown: [Int] = []
        let condemned = byOrdinal.keys.filter { !wanted.contains($0) }.sorted(by: >)
        if !condemned.isEmpty {
            let inProgress = condemned.contains { byOrdinal[$0]?.metaDeletionTimestamp != nil }
            let lowerReady = wanted.allSatisfy { byOrdinal[$0].map(isRunningAndReady) ?? false }
            for n in condemned {
                guard let pod = byOrdinal[n], pod.metaDeletionTimestamp == nil else { continue }
                if ordered, inProgress || !lowerReady || blocked { break }
                victims.append(pod)
                scaledDown.append(n)
                if ordered { break }
            }
        }

        // Rolling update: highest ordinal first down to the partition, one pod at a time, each once all are ready.
        if spec[path: ["updateStrategy", "type"]]?.string != "OnDelete", !blocked {
            let partition = spec.goInt32(["updateStrategy", "rollingUpdate", "partition"]) ?? 0
            let allReady = wanted.allSatisfy { byOrdinal[$0].map { isRunningAndReady($0) && $0.metaDeletionTimestamp == nil } ?? false }
            if allReady, let n = wanted.reversed().first(where: { $0 >= partition && byOrdinal[$0]?.metaLabels[StatefulSetController.hashLabel] != revision }),
               let pod = byOrdinal[n] {
                victims.append(pod)
            }
        }

        var failure: (any Error)?
        if manage, !victims.isEmpty || !toCreate.isEmpty {
            controller.expectations.expect(key, adds: toCreate.count, deletes: victims.count)
            for pod in victims {
                if let error = await delete(pod) { failure = failure ?? error }
            }
            for n in scaledDown { await deleteClaimsIfScaledDown(ordinal: n) }
            for n in toCreate {
                if let error = await create(ordinal: n, revision: revision) { failure = failure ?? error }
            }
        }
        try await writeStatus(byOrdinal: byOrdinal, wanted: wanted, revision: revision)
        if let failure { throw failure }
    }

    private func writeStatus(byOrdinal: [Int: JSONValue], wanted: Range<Int>, revision: String) async throws {
        let live = byOrdinal.values.filter { $0.metaDeletionTimestamp == nil }
        let updated = live.filter { $0.metaLabels[StatefulSetController.hashLabel] == revision }.count
        let ready = live.filter(isRunningAndReady).count
        let previous = sts[path: ["status", "currentRevision"]]?.string ?? ""
        let current = updated == wanted.count && live.count == wanted.count || previous.isEmpty ? revision : previous
        let currentReplicas = live.filter { $0.metaLabels[StatefulSetController.hashLabel] == current }.count
        var status: JSONValue = [
            "observedGeneration": .int(max(0, sts.goInt64(["metadata", "generation"]) ?? 1)),
            "replicas": .int(Int64(live.count)), "readyReplicas": .int(Int64(ready)), "availableReplicas": .int(Int64(ready)),
            "currentReplicas": .int(Int64(currentReplicas)), "updatedReplicas": .int(Int64(updated)),
            "currentRevision": .string(current), "updateRevision": .string(revision),
            // Kept as stored: status validation refuses a collisionCount that goes away or down.
            "collisionCount": sts[path: ["status", "collisionCount"]] ?? 0,
        ]
        status = status.droppingZeros(keep: ["replicas", "availableReplicas", "collisionCount", "observedGeneration"])
        try await controller.sets.updateStatus(sts, status)
    }

    private func ordinal(of pod: JSONValue) -> Int? {
        let prefix = sts.metaName + "-"
        guard pod.metaName.hasPrefix(prefix) else { return nil }
        return Int(pod.metaName.dropFirst(prefix.count))
    }

    func isRunningAndReady(_ pod: JSONValue) -> Bool {
        pod[path: ["status", "phase"]]?.string == "Running" && Workloads.isReady(pod)
    }
}
