import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// upstream's persistentvolume-binder, for pre-provisioned volumes: a new PersistentVolume becomes Available, a
/// Pending claim is bound to the smallest Available volume that fits (class, access modes, size, volume mode,
/// selector, or the volume it names), and a volume whose claim is deleted is Released (Retain, Recycle) or deleted
/// (Delete). Claims of a WaitForFirstConsumer class wait, as upstream, for the scheduler to place a pod that uses
/// them (`volume.kubernetes.io/selected-node`). There is no dynamic provisioning. One key for the whole pass, one
/// worker: two passes never bind the same claim at once, and a burst of changes costs one pass over the caches.
struct PersistentVolumeBinder: Controller {
    static let key = "volumes"

    let context: ControllerContext
    let pvs: ObjectStore
    let pvcs: ObjectStore
    let classes: ObjectStore
    let worker: QueueWorker

    init(context: ControllerContext) {
        self.context = context
        pvs = ObjectStore(.persistentVolumes, context: context)
        pvcs = ObjectStore(.persistentVolumeClaims, context: context)
        classes = ObjectStore(.storageClasses, context: context)
        worker = QueueWorker(name: "persistent volume", workers: 1, clock: context.clock, logger: context.logger)
        let queue = worker.queue
        for store in [pvs, pvcs, classes] { store.informer.addEventHandler(.any { _ in queue.add(Self.key) }) }
    }

    func run() async {
        await worker.run(context: context) { _ in await Self.sync(pvs: pvs, pvcs: pvcs, classes: classes, logger: context.logger) }
    }

    /// The objects of a pass that decode; each one that does not is logged (naming it and the field) and left out.
    static func decoded<T>(_ objects: [JSONValue], as type: T.Type, logger: Logger) -> [Typed<T>] {
        objects.compactMap { json in
            do {
                return try Workloads.typed(json, as: T.self)
            } catch {
                logger.warning("persistentvolume-binder: skipping \(error)")
                return nil
            }
        }
    }

    static func sync(pvs: ObjectStore, pvcs: ObjectStore, classes classStore: ObjectStore, logger: Logger) async {
        var volumes = decoded(pvs.list(), as: PersistentVolume.self, logger: logger)
        let claimObjects = pvcs.list()
        let claims = decoded(claimObjects, as: PersistentVolumeClaim.self, logger: logger)
        let classes = decoded(classStore.list(), as: StorageClass.self, logger: logger).map(\.object)
        // A claim that does not decode still exists: its volume is neither released nor rebound meanwhile.
        let allClaims = Set(claimObjects.map { ObjectCache.key($0) })
        func claim(of volume: PersistentVolume) -> PersistentVolumeClaim? {
            guard let ref = volume.spec.claimRef, !ref.name.isEmpty else { return nil }
            return claims.first { $0.object.metadata.name == ref.name && $0.object.metadata.namespace == ref.namespace }?.object
        }
        // Volumes: Available, or Released/deleted when their claim went away.
        for (i, typed) in volumes.enumerated() where typed.object.metadata.deletionTimestamp == nil {
            let volume = typed.object, name = volume.metadata.name ?? ""
            guard let ref = volume.spec.claimRef else {
                if volume.status.phase != "Available" { volumes[i] = await setPhase(name, "Available", pvs, logger) ?? typed }
                continue
            }
            let claimed = claim(of: volume)
            if let claimed, ref.uid.isEmpty || claimed.metadata.uid == ref.uid { continue }
            if claimed == nil, allClaims.contains(ref.namespace + "/" + ref.name) { continue }
            guard volume.status.phase == "Bound" else { continue }
            if volume.spec.persistentVolumeReclaimPolicy == "Delete" {
                _ = try? await pvs.delete(namespace: "", name: name)
                logger.info("persistentvolume-binder: deleted PersistentVolume \(name): its claim is gone (reclaim policy Delete)")
            } else {
                volumes[i] = await setPhase(name, "Released", pvs, logger) ?? typed
            }
        }
        // Claims: bind the pending ones.
        for typedClaim in claims where typedClaim.object.metadata.deletionTimestamp == nil && typedClaim.object.status.phase == "Pending" {
            let claim = typedClaim.object
            let className = claim.spec.storageClassName ?? ""
            if classes.first(where: { $0.metadata.name == className })?.volumeBindingMode == "WaitForFirstConsumer",
               claim.metadata.annotations?["volume.kubernetes.io/selected-node"] == nil { continue }
            let wantedName = claim.spec.volumeName
            let candidates = volumes.filter { typed in
                let volume = typed.object
                if !wantedName.isEmpty, volume.metadata.name != wantedName { return false }
                if let ref = volume.spec.claimRef {
                    return ref.name == claim.metadata.name && ref.namespace == claim.metadata.namespace && volume.status.phase != "Released"
                }
                return volume.status.phase == "Available" && fits(claim, volume)
            }
            guard let volume = candidates.min(by: { capacity($0.object) < capacity($1.object) }) else { continue }
            await bind(typedClaim, to: volume.object, pvs: pvs, pvcs: pvcs, logger: logger)
            if let index = volumes.firstIndex(where: { $0.object.metadata.name == volume.object.metadata.name }),
               let bound = try? Typed<PersistentVolume>(volumes[index].modified { $0.status.phase = "Bound" }) {
                volumes[index] = bound
            }
        }
    }

    static func capacity(_ volume: PersistentVolume) -> Double {
        volume.spec.capacity?["storage"]?.value ?? 0
    }

    /// Whether the volume satisfies the claim (upstream's findMatchingVolume, less node affinity).
    static func fits(_ claim: PersistentVolumeClaim, _ volume: PersistentVolume) -> Bool {
        guard volume.spec.storageClassName == claim.spec.storageClassName ?? "" else { return false }
        guard Set(claim.spec.accessModes ?? []).isSubset(of: Set(volume.spec.accessModes ?? [])) else { return false }
        let requested = claim.spec.resources.requests?["storage"]?.value ?? 0
        guard capacity(volume) >= requested else { return false }
        guard (claim.spec.volumeMode ?? "Filesystem") == (volume.spec.volumeMode ?? "Filesystem") else { return false }
        if let labelSelector = claim.spec.selector {
            guard let selector = labelSelector.asSelector(), selector.matches(volume.metadata.labels ?? [:]) else { return false }
        }
        return true
    }

    /// The volume's `status.phase` set, the rest of its status as stored.
    static func setPhase(_ name: String, _ phase: String, _ pvs: ObjectStore, _ logger: Logger) async -> Typed<PersistentVolume>? {
        do {
            let written = try await pvs.guaranteedUpdate(namespace: "", name: name, subresource: "status") { current in
                guard let current else { throw APIError.notFound("persistentvolumes", name) }
                return try Workloads.typed(current, as: PersistentVolume.self).modified { $0.status.phase = phase }
            }
            return try Workloads.typed(written)
        } catch {
            logger.debug("persistentvolume-binder: \(name) → \(phase): \(error)")
            return nil
        }
    }

    static func bind(_ typedClaim: Typed<PersistentVolumeClaim>, to volume: PersistentVolume, pvs: ObjectStore, pvcs: ObjectStore,
                     logger: Logger) async {
        let claim = typedClaim.object
        let namespace = claim.metadata.namespace ?? "", claimName = claim.metadata.name ?? "", volumeName = volume.metadata.name ?? ""
        let byController = "yes"
        do {
            _ = try await pvs.guaranteedUpdate(namespace: "", name: volumeName) { current in
                guard let current else { throw APIError.notFound("persistentvolumes", volumeName) }
                return try Workloads.typed(current, as: PersistentVolume.self).modified { v in
                    v.spec.claimRef = ObjectReference(apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: namespace, name: claimName,
                                                      uid: claim.metadata.uid ?? "", resourceVersion: claim.metadata.resourceVersion ?? "")
                    v.metadata.annotations = (v.metadata.annotations ?? [:]).merging(["pv.kubernetes.io/bound-by-controller": byController]) { $1 }
                }
            }
            _ = await setPhase(volumeName, "Bound", pvs, logger)
            _ = try await pvcs.guaranteedUpdate(namespace: namespace, name: claimName) { current in
                guard let current else { throw APIError.notFound("persistentvolumeclaims", claimName) }
                return try Workloads.typed(current, as: PersistentVolumeClaim.self).modified { c in
                    c.spec.volumeName = volumeName
                    c.metadata.annotations = (c.metadata.annotations ?? [:]).merging(
                        ["pv.kubernetes.io/bind-completed": byController, "pv.kubernetes.io/bound-by-controller": byController]) { $1 }
                }
            }
            _ = try await pvcs.guaranteedUpdate(namespace: namespace, name: claimName, subresource: "status") { current in
                guard let current else { throw APIError.notFound("persistentvolumeclaims", claimName) }
                return try Workloads.typed(current, as: PersistentVolumeClaim.self).modified { c in
                    c.status.phase = "Bound"
                    c.status.accessModes = volume.spec.accessModes ?? []
                    c.status.capacity = volume.spec.capacity ?? [:]
                }
            }
            logger.info("persistentvolume-binder: bound PersistentVolumeClaim \(namespace)/\(claimName) to PersistentVolume \(volumeName)")
        } catch {
            logger.warning("persistentvolume-binder: binding \(namespace)/\(claimName) to \(volumeName): \(error)")
        }
    }
}
