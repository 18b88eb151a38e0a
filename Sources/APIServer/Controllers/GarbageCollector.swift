import KubeJSON
import Logging

/// upstream's garbage collector, in process and for the kinds the in-process controllers create: a dependent
/// (pod, ReplicaSet, Job, a StatefulSet's claim) whose every owner is gone is deleted (`kubectl delete deployment` takes its ReplicaSets and
/// pods along); an owner deleted with `propagationPolicy: Orphan` (`--cascade=orphan`) first lets go of its
/// dependents, one deleted with `Foreground` first waits for them to be deleted.
actor GarbageCollector: InProcessController {
    static let component = "garbage-collector"
    static let orphanFinalizer = "orphan"
    static let foregroundFinalizer = "foregroundDeletion"

    /// Owner kinds (by apiVersion and kind) and the resources that may depend on them.
    static let owners: [(apiVersion: String, kind: String, group: String, resource: String)] = [
        ("apps/v1", "Deployment", "apps", "deployments"), ("apps/v1", "ReplicaSet", "apps", "replicasets"),
        ("apps/v1", "StatefulSet", "apps", "statefulsets"), ("apps/v1", "DaemonSet", "apps", "daemonsets"),
        ("batch/v1", "Job", "batch", "jobs"), ("batch/v1", "CronJob", "batch", "cronjobs"), ("v1", "Node", "", "nodes"),
    ]
    static let dependents: [(group: String, resource: String)] = [
        ("", "pods"), ("apps", "replicasets"), ("batch", "jobs"), ("", "persistentvolumeclaims"),
    ]

    private let logger: Logger
    private var task: Task<Void, Never>?

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        let logger = self.logger
        let prefixes = ["/registry/deployments/", "/registry/replicasets/", "/registry/statefulsets/", "/registry/daemonsets/",
                        "/registry/jobs/", "/registry/cronjobs/", "/registry/pods/"]
        task = Task {
            await Workloads.run(server: server, prefixes: prefixes, logger: logger) { await Self.collect(server: server, logger: logger) }
        }
    }

    func stop() async {
        let running = task
        task = nil
        running?.cancel()
        await running?.value
    }

    static func collect(server: APIServer, logger: Logger) async {
        let context = Workloads.context(component)
        var live: [String: JSONValue] = [:]   // owner UID → owner
        for owner in owners {
            guard let store = server.store(owner.group, "v1", owner.resource),
                  let items = try? await store.list(namespace: "", options: ListOptions()).items else { return }
            for item in items { live[item.metaUID] = item }
        }
        let ownerKinds = Set(owners.map { "\($0.apiVersion)/\($0.kind)" })
        for dependent in dependents {
            guard let store = server.store(dependent.group, "v1", dependent.resource),
                  let items = try? await store.list(namespace: "", options: ListOptions()).items else { continue }
            for item in items {
                guard let refs = item[path: ["metadata", "ownerReferences"]]?.array, !refs.isEmpty,
                      refs.allSatisfy({ ownerKinds.contains("\($0["apiVersion"]?.string ?? "")/\($0["kind"]?.string ?? "")") }) else { continue }
                var remaining: [JSONValue] = []
                var foreground = false
                for ref in refs {
                    guard let uid = ref["uid"]?.string, let owner = live[uid] else { continue }
                    if owner.metaDeletionTimestamp != nil, owner.metaFinalizers.contains(orphanFinalizer) { continue }
                    if owner.metaDeletionTimestamp != nil, owner.metaFinalizers.contains(foregroundFinalizer) { foreground = true }
                    remaining.append(ref)
                }
                if remaining.isEmpty || foreground {
                    // Orphaned (or its owner waits in the foreground): delete, unless an orphaning owner let it go.
                    let orphaned = refs.contains { ref in ref["uid"]?.string.flatMap { live[$0] }?.metaFinalizers.contains(orphanFinalizer) == true }
                    if orphaned, !foreground {
                        await setOwnerReferences(item, remaining, store: store, context: context)
                        continue
                    }
                    guard item.metaDeletionTimestamp == nil else { continue }
                    var options = DeleteOptions()
                    options.preconditionUID = item.metaUID
                    do {
                        _ = try await store.delete(namespace: item.metaNamespace, name: item.metaName, options: options, context: context)
                        logger.debug("garbage collector: deleted \(dependent.resource) \(item.metaNamespace)/\(item.metaName): its owners are gone")
                    } catch where !Workloads.isExpected(error) {
                        // The next change under these prefixes brings another pass; the others are collected meanwhile.
                        logger.warning("garbage collector: deleting \(dependent.resource) \(item.metaNamespace)/\(item.metaName): \((error as? StatusError)?.message ?? "\(error)")")
                    } catch {}
                } else if remaining.count != refs.count {
                    await setOwnerReferences(item, remaining, store: store, context: context)
                }
            }
        }
        // Owners waiting on their dependents: let go of the finalizer once done.
        for owner in live.values where owner.metaDeletionTimestamp != nil {
            guard let kind = owners.first(where: { $0.kind == owner["kind"]?.string }),
                  let store = server.store(kind.group, "v1", kind.resource) else { continue }
            for finalizer in [orphanFinalizer, foregroundFinalizer] where owner.metaFinalizers.contains(finalizer) {
                var stillOwned = false
                for dependent in dependents {
                    guard let depStore = server.store(dependent.group, "v1", dependent.resource),
                          let items = try? await depStore.list(namespace: owner.metaNamespace, options: ListOptions()).items else { continue }
                    if items.contains(where: { item in
                        (item[path: ["metadata", "ownerReferences"]]?.array ?? []).contains { $0["uid"]?.string == owner.metaUID }
                    }) { stillOwned = true }
                }
                guard !stillOwned else { continue }
                _ = try? await store.guaranteedUpdate(namespace: owner.metaNamespace, name: owner.metaName, context: context) { current in
                    guard var o = current else { throw StatusError.notFound(store.groupResource, owner.metaName) }
                    o.setMeta("finalizers", .array(o.metaFinalizers.filter { $0 != finalizer }.map { .string($0) }))
                    return o
                }
            }
        }
    }

    static func setOwnerReferences(_ item: JSONValue, _ refs: [JSONValue], store: GenericStore, context: RequestContext) async {
        _ = try? await store.guaranteedUpdate(namespace: item.metaNamespace, name: item.metaName, context: context) { current in
            guard var o = current, o.metaUID == item.metaUID else { throw StatusError.notFound(store.groupResource, item.metaName) }
            o[path: ["metadata", "ownerReferences"]] = refs.isEmpty ? nil : .array(refs)
            return o
        }
    }
}
