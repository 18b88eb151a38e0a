import KubeAPI
import KubeJSON
import KubeStorage
import Logging

/// upstream's persistentvolume-binder (kube-controller-manager), in process and for pre-provisioned volumes: a new
/// PersistentVolume becomes Available, a Pending claim is bound to the smallest Available volume that fits (class,
/// access modes, size, volume mode, selector, or the volume it names), and a volume whose claim is deleted is Released
/// (Retain, Recycle) or deleted (Delete). Claims of a WaitForFirstConsumer class wait, as upstream, for the scheduler
/// to place a pod that uses them (it writes `volume.kubernetes.io/selected-node`). There is no dynamic provisioning.
actor PersistentVolumeBinder: InProcessController {
    private let logger: Logger
    private var task: Task<Void, Never>?

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        let logger = self.logger
        let context = RequestContext(user: UserInfo(name: "system:kube-controller-manager", groups: ["system:masters"]))
        // Events of both kinds only mark the state dirty; one worker syncs, so two passes never bind the same claim
        // at once, and a burst of events costs one pass.
        let (dirty, mark) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        task = Task {
            await withTaskGroup(of: Void.self) { group in
                for prefix in ["/registry/persistentvolumes/", "/registry/persistentvolumeclaims/"] {
                    group.addTask {
                        await StorageReflector(storage: server.storage, prefix: prefix, logger: logger).run { _ in mark.yield() }
                    }
                }
                group.addTask {
                    for await _ in dirty { await Self.sync(server: server, context: context, logger: logger) }
                }
            }
        }
    }

    func stop() async {
        let running = task
        task = nil
        running?.cancel()
        await running?.value
    }

    static func sync(server: APIServer, context: RequestContext, logger: Logger) async {
        guard let pvs = server.store("", "v1", "persistentvolumes"), let pvcs = server.store("", "v1", "persistentvolumeclaims"),
              var volumes = try? await pvs.list(namespace: "", options: ListOptions()).items,
              let claims = try? await pvcs.list(namespace: "", options: ListOptions()).items else { return }
        let classes = (try? await server.store("storage.k8s.io", "v1", "storageclasses")?.list(namespace: "", options: ListOptions()).items) ?? []
        func claim(of volume: JSONValue) -> JSONValue? {
            guard let ref = volume[path: ["spec", "claimRef"]], let name = ref["name"]?.string else { return nil }
            return claims.first { $0.metaName == name && $0.metaNamespace == ref["namespace"]?.string }
        }
        // Volumes: Available, or Released/deleted when their claim went away.
        for (i, volume) in volumes.enumerated() where volume.metaDeletionTimestamp == nil {
            let phase = volume[path: ["status", "phase"]]?.string ?? ""
            if volume[path: ["spec", "claimRef"]] == nil {
                if phase != "Available" { volumes[i] = await setPhase(volume, "Available", pvs, context, logger) ?? volume }
                continue
            }
            let claimed = claim(of: volume)
            let uid = volume[path: ["spec", "claimRef", "uid"]]?.string ?? ""
            if let claimed, uid.isEmpty || claimed.metaUID == uid { continue }
            guard phase == "Bound" else { continue }
            if volume[path: ["spec", "persistentVolumeReclaimPolicy"]]?.string == "Delete" {
                _ = try? await pvs.delete(namespace: "", name: volume.metaName, options: DeleteOptions(), context: context)
                logger.info("persistentvolume-binder: deleted PersistentVolume \(volume.metaName): its claim is gone (reclaim policy Delete)")
            } else {
                volumes[i] = await setPhase(volume, "Released", pvs, context, logger) ?? volume
            }
        }
        // Claims: bind the pending ones.
        for claimObject in claims where claimObject.metaDeletionTimestamp == nil && claimObject[path: ["status", "phase"]]?.string == "Pending" {
            let className = claimObject[path: ["spec", "storageClassName"]]?.string ?? ""
            if classes.first(where: { $0.metaName == className })?["volumeBindingMode"]?.string == "WaitForFirstConsumer",
               claimObject[path: ["metadata", "annotations", Scheduler.selectedNodeAnnotation]] == nil { continue }
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
            await bind(claimObject, to: volume, pvs: pvs, pvcs: pvcs, context: context, logger: logger)
            if let index = volumes.firstIndex(where: { $0.metaName == volume.metaName }) {
                volumes[index][path: ["status", "phase"]] = "Bound"
            }
        }
    }

    static func capacity(_ volume: JSONValue) -> Double {
        volume[path: ["spec", "capacity", "storage"]].flatMap { Quantity.value(StructuralSchema.display($0)) } ?? 0
    }

    /// Whether the volume satisfies the claim (upstream's findMatchingVolume, less node affinity).
    static func fits(_ claim: JSONValue, _ volume: JSONValue) -> Bool {
        let className = claim[path: ["spec", "storageClassName"]]?.string ?? ""
        guard (volume[path: ["spec", "storageClassName"]]?.string ?? "") == className else { return false }
        let have = Set((volume[path: ["spec", "accessModes"]]?.array ?? []).compactMap(\.string))
        let want = Set((claim[path: ["spec", "accessModes"]]?.array ?? []).compactMap(\.string))
        guard want.isSubset(of: have) else { return false }
        let requested = claim[path: ["spec", "resources", "requests", "storage"]].flatMap { Quantity.value(StructuralSchema.display($0)) } ?? 0
        guard capacity(volume) >= requested else { return false }
        let mode = { (o: JSONValue) in o[path: ["spec", "volumeMode"]]?.string ?? "Filesystem" }
        guard mode(claim) == mode(volume) else { return false }
        if let selectorJSON = claim[path: ["spec", "selector"]] {
            guard let selector = LabelSelector(labelSelector: selectorJSON), selector.matches(volume.metaLabels) else { return false }
        }
        return true
    }

    static func setPhase(_ volume: JSONValue, _ phase: String, _ pvs: GenericStore, _ context: RequestContext, _ logger: Logger) async -> JSONValue? {
        let status = RequestContext(user: context.user, subresource: "status")
        do {
            return try await pvs.guaranteedUpdate(namespace: "", name: volume.metaName, context: status) { current in
                guard var v = current else { throw StatusError.notFound(GroupResource(group: "", resource: "persistentvolumes"), volume.metaName) }
                v[path: ["status", "phase"]] = .string(phase)
                return v
            }.0
        } catch {
            logger.debug("persistentvolume-binder: \(volume.metaName) → \(phase): \(error)")
            return nil
        }
    }

    static func bind(_ claim: JSONValue, to volume: JSONValue, pvs: GenericStore, pvcs: GenericStore, context: RequestContext, logger: Logger) async {
        let status = RequestContext(user: context.user, subresource: "status")
        let byController: JSONValue = "yes"
        do {
            _ = try await pvs.guaranteedUpdate(namespace: "", name: volume.metaName, context: context) { current in
                guard var v = current else { throw StatusError.notFound(GroupResource(group: "", resource: "persistentvolumes"), volume.metaName) }
                v[path: ["spec", "claimRef"]] = [
                    "kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": .string(claim.metaNamespace),
                    "name": .string(claim.metaName), "uid": .string(claim.metaUID), "resourceVersion": .string(claim.metaResourceVersion),
                ]
                v[path: ["metadata", "annotations", "pv.kubernetes.io/bound-by-controller"]] = byController
                return v
            }
            _ = await setPhase(volume, "Bound", pvs, context, logger)
            _ = try await pvcs.guaranteedUpdate(namespace: claim.metaNamespace, name: claim.metaName, context: context) { current in
                guard var c = current else { throw StatusError.notFound(GroupResource(group: "", resource: "persistentvolumeclaims"), claim.metaName) }
                c[path: ["spec", "volumeName"]] = .string(volume.metaName)
                c[path: ["metadata", "annotations", "pv.kubernetes.io/bind-completed"]] = byController
                c[path: ["metadata", "annotations", "pv.kubernetes.io/bound-by-controller"]] = byController
                return c
            }
            _ = try await pvcs.guaranteedUpdate(namespace: claim.metaNamespace, name: claim.metaName, context: status) { current in
                guard var c = current else { throw StatusError.notFound(GroupResource(group: "", resource: "persistentvolumeclaims"), claim.metaName) }
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

/// upstream's DefaultStorageClass admission plugin: a claim that names no class gets the default one (the newest
/// StorageClass annotated `storageclass.kubernetes.io/is-default-class: "true"`).
struct DefaultStorageClassAdmission: AdmissionPlugin {
    var name: String { "DefaultStorageClass" }
    let storage: any StorageBackend

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard operation == .create, resource.group.isEmpty, resource.resource == "persistentvolumeclaims",
              object[path: ["spec", "storageClassName"]] == nil || object[path: ["spec", "storageClassName"]] == .null else { return }
        let classes = try await storage.range(prefix: "/registry/storageclasses/", startAfter: nil, limit: 0).kvs
            .compactMap { try? JSONParser.parse($0.value) }
            .filter { $0[path: ["metadata", "annotations", "storageclass.kubernetes.io/is-default-class"]]?.string == "true" }
        guard let newest = classes.max(by: { ($0.metaCreationTimestamp ?? "", $0.metaName) < ($1.metaCreationTimestamp ?? "", $1.metaName) }) else { return }
        object[path: ["spec", "storageClassName"]] = .string(newest.metaName)
    }
}
