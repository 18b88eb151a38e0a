import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// Upstream's PVC protection controller: every claim gets the `kubernetes.io/pvc-protection` finalizer, and a claim
/// being deleted loses it once no pod that is still running (scheduled, not terminated) uses it. The queue holds
/// claim keys; a pod change queues the claims it names.
public final class PVCProtectionController: Controller {
    static let finalizer = "kubernetes.io/pvc-protection"
    static let podPVCIndex = "pod-pvc-index"

    let context: ControllerContext
    let claims: SharedInformer
    let pods: SharedInformer
    let worker: QueueWorker

    public init(context: ControllerContext) {
        self.context = context
        claims = context.informers.informer(.persistentVolumeClaims)
        pods = context.informers.informer(.pods)
        pods.addIndexer(Self.podPVCIndex, Self.claimKeys)
        worker = QueueWorker(name: "pvcprotection", workers: 1, clock: context.clock, logger: context.logger)
        let queue = worker.queue
        claims.addEventHandler(EventHandler(
            onAdd: { queue.add(ObjectCache.key($0)) },
            onUpdate: { _, new in
                // Only a claim needing the finalizer added or removed is work.
                if Lifecycle.isDeleting(new) == Lifecycle.finalizers(new).contains(Self.finalizer) { queue.add(ObjectCache.key(new)) }
            }))
        let enqueue: @Sendable (JSONValue) -> Void = { pod in
            for key in Self.claimKeys(pod) { queue.add(key) }
        }
        pods.addEventHandler(EventHandler(
            onUpdate: { old, new in
                // A pod stops counting when it terminates or is force-deleted.
                if Self.isShutDown(old) != Self.isShutDown(new) || Lifecycle.nodeName(old) != Lifecycle.nodeName(new) { enqueue(new) }
            },
            onDelete: enqueue))
    }

    /// The keys (`namespace/claim`) of the claims a pod's volumes name, generic ephemeral volumes included.
    static let claimKeys: ObjectCache.IndexFunction = { pod in
        let namespace = Lifecycle.namespace(pod)
        return (pod[path: ["spec", "volumes"]]?.array ?? []).compactMap { volume -> String? in
            if let claim = volume[path: ["persistentVolumeClaim", "claimName"]]?.string { return namespace + "/" + claim }
            if volume["ephemeral"] != nil, let name = volume["name"]?.string { return namespace + "/" + Lifecycle.name(pod) + "-" + name }
            return nil
        }
    }

    /// podIsShutDown: terminated, or deleted with no grace left (its containers are gone or about to be).
    static func isShutDown(_ pod: JSONValue) -> Bool {
        if Lifecycle.isDeleting(pod), pod[path: ["metadata", "deletionGracePeriodSeconds"]]?.int == 0 { return true }
        return Lifecycle.isPodTerminal(pod)
    }

    public func run() async {
        await worker.run(context: context) { try await self.sync($0) }
    }

    func sync(_ key: String) async throws {
        guard let claim = claims.cache.get(key) else { return }
        let has = Lifecycle.finalizers(claim).contains(Self.finalizer)
        if !Lifecycle.isDeleting(claim) {
            guard !has else { return }
            try await setFinalizer(claim, present: true)
            return
        }
        guard has else { return }
        guard try await !isBeingUsed(claim) else {
            context.logger.info("Keeping PVC \(key) because it is being used")
            return
        }
        try await setFinalizer(claim, present: false)
    }

    /// The cache first; a claim it finds unused is checked against a live list of the namespace's pods before its
    /// protection goes (askAPIServer), since removing it early could lose data. Only claims being deleted get here.
    func isBeingUsed(_ claim: JSONValue) async throws -> Bool {
        let key = ObjectCache.key(claim)
        if pods.cache.byIndex(Self.podPVCIndex, key).contains(where: { uses($0, claim) }) { return true }
        let live = try await context.client.list(.pods, namespace: Lifecycle.namespace(claim))
        return live.items.contains { uses($0, claim) }
    }

    /// podUsesPVC: only scheduled pods count, since the kubelet will not start a pod whose claim is being deleted.
    func uses(_ pod: JSONValue, _ claim: JSONValue) -> Bool {
        guard !Self.isShutDown(pod), !Lifecycle.nodeName(pod).isEmpty else { return false }
        return Self.claimKeys(pod).contains(ObjectCache.key(claim))
    }

    /// Only `metadata.finalizers` changes: the claim is written back as stored otherwise. One that does not decode is
    /// logged and left as it is.
    private func setFinalizer(_ claim: JSONValue, present: Bool) async throws {
        do {
            let updated = try Workloads.typed(claim, as: PersistentVolumeClaim.self).modified { c in
                var finalizers = (c.metadata.finalizers ?? []).filter { $0 != Self.finalizer }
                if present { finalizers.append(Self.finalizer) }
                c.metadata.finalizers = finalizers.isEmpty ? nil : finalizers
            }
            _ = try await context.client.update(.persistentVolumeClaims, updated)
            context.logger.info("\(present ? "Added" : "Removed") protection finalizer \(present ? "to" : "from") PVC \(ObjectCache.key(claim))")
        } catch let error as APIError where error.isNotFound {
        } catch let error as UndecodableObject {
            context.logger.warning("pvc-protection-controller: skipping \(error)")
        }
    }
}
