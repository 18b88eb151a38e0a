import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// One StatefulSet's reconciliation (upstream's updateStatefulSet, in short): what to create and delete is decided
/// from one look at its pods, then done, then the status written.
struct StatefulSetSync {
    let typed: Typed<StatefulSet>
    let key: String
    let owned: [WorkloadPod]
    let controller: StatefulSetController

    var sts: JSONValue { typed.json }
    var spec: StatefulSetSpec { typed.object.spec }
    var recorder: EventRecorder { controller.context.recorder }

    /// Creates and deletes only with `manage` (the caches have shown the last sync's creations and deletions).
    func run(manage: Bool) async throws {
        // int32 fields, clamped and non-negative: the ordinal range below then fits an Int.
        let replicas = max(0, Int(spec.replicas ?? 1))
        let start = max(0, Int(spec.ordinals?.start ?? 0))
        let ordered = spec.podManagementPolicy != "Parallel"
        let hash = DeploymentController.templateHash(spec.template ?? .emptyObject,
                                                     collisionCount: Int64(typed.object.status.collisionCount ?? 0))
        let revision = "\(sts.metaName)-\(hash)"
        do {
            try await controller.history.record(owner: sts, name: revision, hashLabel: StatefulSetController.hashLabel, hash: hash)
        } catch is RevisionCollision {
            try await controller.sets.updateStatus(typed) { s in s.status.collisionCount = (s.status.collisionCount ?? 0).addingSaturated(1) }
            return
        }
        var byOrdinal: [Int: WorkloadPod] = [:]
        for pod in owned { if let n = ordinal(of: pod) { byOrdinal[n] = pod } }
        let wanted = start..<(start + replicas)

        // Failed pods are deleted and made again (the kubelet restarts the containers of running ones).
        var victims: [WorkloadPod] = []
        for (n, pod) in byOrdinal.sorted(by: { $0.key < $1.key }) where pod.status.phase == "Failed" && !pod.isTerminating {
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
            if ordered, pod.isTerminating || !isRunningAndReady(pod) { blocked = true }
        }

        // Condemned pods, highest ordinal first; OrderedReady takes one at a time once the rest are ready.
        var scaledDown: [Int] = []
        let condemned = byOrdinal.keys.filter { !wanted.contains($0) }.sorted(by: >)
        if !condemned.isEmpty {
            let inProgress = condemned.contains { byOrdinal[$0]?.isTerminating == true }
            let lowerReady = wanted.allSatisfy { byOrdinal[$0].map(isRunningAndReady) ?? false }
            for n in condemned {
                guard let pod = byOrdinal[n], !pod.isTerminating else { continue }
                if ordered, inProgress || !lowerReady || blocked { break }
                victims.append(pod)
                scaledDown.append(n)
                if ordered { break }
            }
        }

        // Rolling update: highest ordinal first down to the partition, one pod at a time, each once all are ready.
        if spec.updateStrategy.type != "OnDelete", !blocked {
            let partition = Int(spec.updateStrategy.rollingUpdate?.partition ?? 0)
            let allReady = wanted.allSatisfy { byOrdinal[$0].map { isRunningAndReady($0) && !$0.isTerminating } ?? false }
            if allReady, let n = wanted.reversed().first(where: { $0 >= partition && byOrdinal[$0]?.labels[StatefulSetController.hashLabel] != revision }),
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
        var inUse = Set(owned.compactMap { $0.labels[StatefulSetController.hashLabel] } + [revision])
        if !typed.object.status.currentRevision.isEmpty { inUse.insert(typed.object.status.currentRevision) }
        await controller.history.truncate(owner: sts, limit: Int(max(0, spec.revisionHistoryLimit ?? 10)), inUse: inUse)
        if let failure { throw failure }
    }

    private func writeStatus(byOrdinal: [Int: WorkloadPod], wanted: Range<Int>, revision: String) async throws {
        let live = byOrdinal.values.filter { !$0.isTerminating }
        let updated = live.filter { $0.labels[StatefulSetController.hashLabel] == revision }.count
        let ready = Workloads.int32(live.filter(isRunningAndReady).count)
        let previous = typed.object.status.currentRevision
        let current = updated == wanted.count && live.count == wanted.count || previous.isEmpty ? revision : previous
        let currentReplicas = live.filter { $0.labels[StatefulSetController.hashLabel] == current }.count
        try await controller.sets.updateStatus(typed) { s in
            s.status.observedGeneration = max(0, typed.object.metadata.generation ?? 1)
            s.status.replicas = Workloads.int32(live.count)
            s.status.readyReplicas = ready
            s.status.availableReplicas = ready
            s.status.currentReplicas = Workloads.int32(currentReplicas)
            s.status.updatedReplicas = Workloads.int32(updated)
            s.status.currentRevision = current
            s.status.updateRevision = revision
            // Written once and then kept as stored: status validation refuses a collisionCount that goes away or down.
            s.status.collisionCount = s.status.collisionCount ?? 0
        }
    }

    private func ordinal(of pod: WorkloadPod) -> Int? {
        let prefix = sts.metaName + "-"
        guard pod.name.hasPrefix(prefix) else { return nil }
        return Int(pod.name.dropFirst(prefix.count))
    }

    func isRunningAndReady(_ pod: WorkloadPod) -> Bool {
        pod.status.phase == "Running" && pod.isReady
    }
}
