import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// upstream's statefulset controller: pods `<name>-<ordinal>` with stable hostnames (`hostname` and the governing
/// Service as `subdomain`) and their claims `<template>-<name>-<ordinal>` from volumeClaimTemplates. Under
/// OrderedReady it creates one ordinal at a time once the lower ones are Running and Ready and removes the highest
/// first; Parallel does both at once. A RollingUpdate replaces pods from the highest ordinal down to `partition`, one
/// at a time; OnDelete waits for the user. Claims stay unless persistentVolumeClaimRetentionPolicy says Delete.
/// Keyed by StatefulSet; a pod's change queues its owner.
struct StatefulSetController: Controller {
    static let component = "statefulset-controller"
    static let hashLabel = "controller-revision-hash"
    static let podNameLabel = "statefulset.kubernetes.io/pod-name"
    static let podIndexLabel = "apps.kubernetes.io/pod-index"
    /// Pods created per StatefulSet per sync (Parallel), as the replicaset controller's burst.
    static let burst = 500

    let context: ControllerContext
    let sets: ObjectStore
    let pods: ObjectStore
    let claims: ObjectStore
    let worker: QueueWorker
    let expectations: Expectations
    let history: RevisionHistory

    init(context: ControllerContext) {
        self.context = context
        history = RevisionHistory(context: context)
        sets = ObjectStore(.statefulSets, context: context)
        pods = ObjectStore(.pods, context: context)
        claims = ObjectStore(.persistentVolumeClaims, context: context)
        expectations = Expectations(clock: context.clock)
        worker = QueueWorker(name: "statefulset", workers: context.options.concurrentStatefulSetSyncs, clock: context.clock,
                             logger: context.logger)
        pods.informer.addIndexer(Indexes.controllerUID, Indexes.byControllerUID)
        sets.informer.addEventHandler(Workloads.primaryHandler(queue: worker.queue))
        pods.informer.addEventHandler(Workloads.controlledHandler(ownerKind: "StatefulSet", queue: worker.queue, expectations: expectations))
    }

    func run() async {
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ key: String) async throws {
        guard let sts = sets.cache.get(key), sts.metaDeletionTimestamp == nil else {
            expectations.forget(key)
            return
        }
        try await Workloads.skippingUndecodable(Self.component, key, logger: context.logger) {
            let sync = StatefulSetSync(typed: try Workloads.typed(sts), key: key,
                                       owned: try WorkloadPod.all(pods.cache.byIndex(Indexes.controllerUID, sts.metaUID)), controller: self)
            try await sync.run(manage: expectations.satisfied(key))
        }
    }
}
