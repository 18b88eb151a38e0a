import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// Upstream's PV protection controller: every volume gets the `kubernetes.io/pv-protection` finalizer, and a volume
/// being deleted loses it once it is no longer Bound to a claim.
public final class PVProtectionController: Controller {
    static let finalizer = "kubernetes.io/pv-protection"

    let context: ControllerContext
    let volumes: SharedInformer
    let worker: QueueWorker

    public init(context: ControllerContext) {
        self.context = context
        volumes = context.informers.informer(.persistentVolumes)
        worker = QueueWorker(name: "pvprotection", workers: 1, clock: context.clock, logger: context.logger)
        let queue = worker.queue
        volumes.addEventHandler(EventHandler(
            onAdd: { queue.add(ObjectCache.key($0)) },
            onUpdate: { _, new in
                if Lifecycle.isDeleting(new) == Lifecycle.finalizers(new).contains(Self.finalizer) { queue.add(ObjectCache.key(new)) }
            }))
    }

    public func run() async {
        await worker.run(context: context) { try await self.sync($0) }
    }

    func sync(_ key: String) async throws {
        guard let json = volumes.cache.get(key) else { return }
        let typed: Typed<PersistentVolume>
        do {
            typed = try Workloads.typed(json)
        } catch {
            context.logger.warning("pv-protection-controller: skipping \(error)")
            return
        }
        let volume = typed.object
        let has = (volume.metadata.finalizers ?? []).contains(Self.finalizer)
        let deleting = volume.metadata.deletionTimestamp != nil
        if !deleting && has { return }
        if deleting && (!has || volume.status.phase == "Bound") { return }
        let updated = try typed.modified { v in
            var finalizers = (v.metadata.finalizers ?? []).filter { $0 != Self.finalizer }
            if !deleting { finalizers.append(Self.finalizer) }
            v.metadata.finalizers = finalizers.isEmpty ? nil : finalizers
        }
        do {
            _ = try await context.client.update(.persistentVolumes, updated)
            context.logger.info("\(deleting ? "Removed" : "Added") protection finalizer \(deleting ? "from" : "to") PV \(key)")
        } catch let error as APIError where error.isNotFound {}
    }
}
