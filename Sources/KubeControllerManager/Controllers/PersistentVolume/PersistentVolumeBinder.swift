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

    static func display(_ value: JSONValue) -> String {
        if let s = value.string { return s }
        if let i = value.int { return String(i) }
        return ""
    }

    static func sync(pvs: ObjectStore, pvcs: ObjectStore, classes classStore: ObjectStore, logger: Logger) async {
        var volumes = pvs.list()
        let claims = pvcs.list()
        let classes = classStore.list()
        func claim(of volume: JSONValue) -> JSONValue? {
            guard let ref = volume[path: ["spec", "claimRef"]], let name = ref["name"]?.string else { return nil }
            return claims.first { $0.metaName == name && $0.metaNamespace == ref["namespace"]?.string }
        }
        // Volumes: Available, or Released/deleted when their claim went away.
        for (i, volume) in volumes.enumerated() where volume.metaDeletionTimestamp == nil {
            let phase = volume[path: ["status", "phase"]]?.string ?? ""
            if volume[path: ["spec", "claimRef"]] == nil {
                if phase != "Available" { volumes[i] = await setPhase(volume, "Available", pvs, logger) ?? volume }
                continue
            }
            let claimed = claim(of: volume)
            let uid = volume[path: ["spec", "claimRef", "uid"]]?.string ?? ""
            if let claimed, uid.isEmpty || claimed.metaUID == uid { continue }
            guard phase == "Bound" else { continue }
            if volume[path: ["spec", "persistentVolumeReclaimPolicy"]]?.string == "Delete" {
                _ = try? await pvs.delete(namespace: "", name: volume.metaName)
                logger.info("persistentvolume-binder: deleted PersistentVolume \(volume.metaName): its claim is gone (reclaim policy Delete)")
            } else {
                volumes[i] = await setPhase(volume, "Released", pvs, logger) ?? volume
            }
        }
        // Claims: bind the pending ones.
        for claimObject in claims where claimObject.metaDeletionTimestamp == nil && claimObject[path: ["status", "phase"]]?.string == "Pending" {
            let className = claimObject[path: ["spec", "storageClassName"]]?.string ?? ""
            if classes.first(where: { $0.metaName == className })?["volumeBindingMode"]?.string == "WaitForFirstConsumer",
               claimObject[path: ["metadata", "annotations", "volume.kubernetes.io/selected-node"]] == nil { continue }
            let wantedName = claimObject[path: ["spec", "volumeName"]]?.string ?? ""
            let candidates = volumes.filter { volume in
                if !wantedName.isEmpty, volume.metaName != wantedName { return false }
                if let ref = volume[path: ["spec", "claimRef"]] {
                    return ref["name"]?.string == claimObject.metaName && ref["namespace"]?.string == claimObject.metaNamespace
                        && volume[path: ["status", "phase"]]?.string != "Released"
                }
                return volume[path: ["status", "phase"]]?.string == "Available" && fits(claimObject, volume)
            }
            guard let volume = candidates.min(by: { capacity($0) < capacity($1) }) else { continue }
            await bind(claimObject, to: volume, pvs: pvs, pvcs: pvcs, logger: logger)
            if let index = volumes.firstIndex(where: { $0.metaName == volume.metaName }) {
                volumes[index][path: ["status", "phase"]] = "Bound"
            }
        }
    }

    static func capacity(_ volume: JSONValue) -> Double {
        volume[path: ["spec", "capacity", "storage"]].flatMap { Quantity.value(Self.display($0)) } ?? 0
    }

    /// Whether the volume satisfies the claim (upstream's findMatchingVolume, less node affinity).
    static func fits(_ claim: JSONValue, _ volume: JSONValue) -> Bool {
        let className = claim[path: ["spec", "storageClassName"]]?.string ?? ""
        guard (volume[path: ["spec", "storageClassName"]]?.string ?? "") == className else { return false }
        let have = Set((volume[path: ["spec", "accessModes"]]?.array ?? []).compactMap(\.string))
        let want = Set((claim[path: ["spec", "accessModes"]]?.array ?? []).compactMap(\.string))
        guard want.isSubset(of: have) else { return false }
        let requested = claim[path: ["spec", "resources", "requests", "storage"]].flatMap { Quantity.value(Self.display($0)) } ?? 0
        guard capacity(volume) >= requested else { return false }
        let mode = { (o: JSONValue) in o[path: ["spec", "volumeMode"]]?.string ?? "Filesystem" }
        guard mode(claim) == mode(volume) else { return false }
        if let selectorJSON = claim[path: ["spec", "selector"]] {
            guard let selector = (try? LabelSelector(json: selectorJSON))?.asSelector(), selector.matches(volume.metaLabels) else { return false }
        }
        return true
    }

    static func setPhase(_ volume: JSONValue, _ phase: String, _ pvs: ObjectStore, _ logger: Logger) async -> JSONValue? {
        do {
            return try await pvs.guaranteedUpdate(namespace: "", name: volume.metaName, subresource: "status") { current in
                guard var v = current else { throw APIError.notFound("persistentvolumes", volume.metaName) }
                v[path: ["status", "phase"]] = .string(phase)
                return v
            }
        } catch {
            logger.debug("persistentvolume-binder: \(volume.metaName) → \(phase): \(error)")
            return nil
        }
    }

    static func bind(_ claim: JSONValue, to volume: JSONValue, pvs: ObjectStore, pvcs: ObjectStore, logger: Logger) async {
        let byController: JSONValue = "yes"
        do {
            _ = try await pvs.guaranteedUpdate(namespace: "", name: volume.metaName) { current in
                guard var v = current else { throw APIError.notFound("persistentvolumes", volume.metaName) }
                v[path: ["spec", "claimRef"]] = [
                    "kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": .string(claim.metaNamespace),
                    "name": .string(claim.metaName), "uid": .string(claim.metaUID), "resourceVersion": .string(claim.metaResourceVersion),
                ]
                v[path: ["metadata", "annotations", "pv.kubernetes.io/bound-by-controller"]] = byController
                return v
            }
            _ = await setPhase(volume, "Bound", pvs, logger)
            _ = try await pvcs.guaranteedUpdate(namespace: claim.metaNamespace, name: claim.metaName) { current in
                guard var c = current else { throw APIError.notFound("persistentvolumeclaims", claim.metaName) }
                c[path: ["spec", "volumeName"]] = .string(volume.metaName)
                c[path: ["metadata", "annotations", "pv.kubernetes.io/bind-completed"]] = byController
                c[path: ["metadata", "annotations", "pv.kubernetes.io/bound-by-controller"]] = byController
                return c
            }
            _ = try await pvcs.guaranteedUpdate(namespace: claim.metaNamespace, name: claim.metaName, subresource: "status") { current in
                guard var c = current else { throw APIError.notFound("persistentvolumeclaims", claim.metaName) }
                c["status"] = ["phase": "Bound", "accessModes": volume[path: ["spec", "accessModes"]] ?? [],
                               "capacity": volume[path: ["spec", "capacity"]] ?? .emptyObject]
                return c
            }
            logger.info("persistentvolume-binder: bound PersistentVolumeClaim \(claim.metaNamespace)/\(claim.metaName) to PersistentVolume \(volume.metaName)")
        } catch {
            logger.warning("persistentvolume-binder: binding \(claim.metaNamespace)/\(claim.metaName) to \(volume.metaName): \(error)")
        }
    }
}
