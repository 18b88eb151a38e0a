import ControllerRuntime
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
        guard let volume = volumes.cache.get(key) else { return }
        let has = Lifecycle.finalizers(volume).contains(Self.finalizer)
        let deleting = Lifecycle.isDeleting(volume)
        if !deleting && has { return }
        if deleting && (!has || volume[path: ["status", "phase"]]?.string == "Bound") { return }
        var updated = volume
        var finalizers = Lifecycle.finalizers(volume).filter { $0 != Self.finalizer }
        if !deleting { finalizers.append(Self.finalizer) }
        updated[path: ["metadata", "finalizers"]] = finalizers.isEmpty ? nil : .array(finalizers.map { .string($0) })
        do {
            _ = try await context.client.update(.persistentVolumes, updated)
            context.logger.info("\(deleting ? "Removed" : "Added") protection finalizer \(deleting ? "from" : "to") PV \(key)")
        } catch let error as APIError where error.isNotFound {}
    }
}
