import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging
import Synchronization

/// upstream's garbage collector, for every kind: it follows every resource discovery lists as listable, watchable and
/// deletable (custom resources included, rediscovered every 30 s), and
/// - deletes a dependent whose owners are all gone (checked against the API, not only the cache: an owner just
///   created may not be cached yet), and drops owner references to owners that are gone when others remain;
/// - lets an owner deleted with `propagationPolicy: Orphan` go once its dependents no longer reference it;
/// - deletes the dependents of an owner deleted with `Foreground`, and lets the owner go once none with
///   `blockOwnerDeletion` is left.
/// Work is keyed by object (`<resource>|<namespace>/<name>`): an object's change queues it, an object's deletion or
/// terminating queues its dependents (found through an owner-UID index on every informer).
struct GarbageCollector: Controller {
    static let orphanFinalizer = "orphan"
    static let foregroundFinalizer = "foregroundDeletion"

    let context: ControllerContext
    let worker: QueueWorker
    let discovery: DiscoveryCache
    let graph = ObjectGraph()

    init(context: ControllerContext) {
        self.context = context
        worker = QueueWorker(name: "garbage collector", workers: context.options.concurrentGCSyncs, clock: context.clock, logger: context.logger)
        discovery = DiscoveryCache(client: context.client, clock: context.clock)
    }

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await follow() }
            group.addTask { await worker.run(context: context) { key in try await sync(key) } }
            await group.waitForAll()
        }
    }

    /// Starts informers for every collectable resource, now and whenever discovery shows new ones.
    func follow() async {
        while !Task.isCancelled {
            do {
                let resources = try await discovery.resources().filter { $0.verbs.isSuperset(of: ["list", "watch", "delete"]) }
                var added = false
                for resource in resources where graph.startFollowing(resource.type) {
                    let informer = context.informers.informer(resource.type)
                    informer.addIndexer(Indexes.ownerUID, Indexes.byOwnerUID)
                    informer.addEventHandler(handler(for: resource.type))
                    added = true
                }
                if added { context.informers.start() }
            } catch {
                context.logger.warning("garbage collector: discovery failed: \(error); retrying")
            }
            guard (try? await context.clock.sleep(for: 30)) != nil else { return }
        }
    }

    static func itemKey(_ resource: ResourceType, _ object: JSONValue) -> String {
        "\(resource.group)/\(resource.version)/\(resource.resource)|\(ObjectCache.key(object))"
    }

    func handler(for resource: ResourceType) -> EventHandler {
        let queue = worker.queue, graph = self.graph
        let queueDependents: @Sendable (JSONValue) -> Void = { owner in
            for (type, dependent) in graph.dependents(of: owner.metaUID, informers: context.informers) {
                queue.add(Self.itemKey(type, dependent))
            }
        }
        return EventHandler(onAdd: { object in
            graph.observe(resource, object)
            if object[path: ["metadata", "ownerReferences"]] != nil || object.metaDeletionTimestamp != nil {
                queue.add(Self.itemKey(resource, object))
            }
        }, onUpdate: { old, new in
            graph.observe(resource, new)
            // An owner waiting in foreground for this object may be free to go now (its reference no longer blocks).
            let oldRefs = old[path: ["metadata", "ownerReferences"]], newRefs = new[path: ["metadata", "ownerReferences"]]
            if oldRefs != newRefs {
                for ref in oldRefs?.array ?? [] {
                    if let uid = ref["uid"]?.string, let (type, owner) = graph.entry(uid: uid), owner.metaDeletionTimestamp != nil {
                        queue.add(Self.itemKey(type, owner))
                    }
                }
            }
            if new[path: ["metadata", "ownerReferences"]] != nil || old[path: ["metadata", "ownerReferences"]] != nil
                || new.metaDeletionTimestamp != nil {
                queue.add(Self.itemKey(resource, new))
            }
            if new.metaDeletionTimestamp != nil { queueDependents(new) }
        }, onDelete: { object in
            graph.forget(object)
            queueDependents(object)
        })
    }

    func sync(_ key: String) async throws {
        guard let bar = key.firstIndex(of: "|"), let resource = graph.resource(named: String(key[..<bar])) else { return }
        let objectKey = String(key[key.index(after: bar)...])
        let informer = context.informers.informer(resource)
        guard let object = informer.cache.get(objectKey) else { return }
        if object.metaDeletionTimestamp != nil {
            if object.metaFinalizers.contains(Self.orphanFinalizer) { try await orphanDependents(of: object, resource) }
            if object.metaFinalizers.contains(Self.foregroundFinalizer) { try await deleteDependents(of: object, resource) }
            return
        }
        let refs: [OwnerReference]
        do {
            refs = try Self.metadata(object).ownerReferences ?? []
        } catch {
            context.logger.warning("garbage collector: skipping \(resource) \(objectKey): \(error)")
            return
        }
        guard !refs.isEmpty else { return }
        var absent: [String] = []
        var waitingForeground = false
        for ref in refs {
            switch try await ownerState(ref, namespace: object.metaNamespace) {
            case .absent: absent.append(ref.uid)
            case .deletingInForeground where ref.blockOwnerDeletion == true: waitingForeground = true
            default: break
            }
        }
        let ns = resource.namespaced ? object.metaNamespace : nil
        if absent.count == refs.count {
            context.logger.info("garbage collector: deleting \(resource) \(objectKey): all its owners are gone")
            do {
                try await context.client.delete(resource, namespace: ns, name: object.metaName,
                                                options: DeleteOptions(propagationPolicy: "Background", preconditionUID: object.metaUID))
            } catch let error as APIError where error.isNotFound || error.isConflict {}
        } else if waitingForeground {
            try await unblockIfInCycle(object, resource)
            do {
                try await context.client.delete(resource, namespace: ns, name: object.metaName,
                                                options: DeleteOptions(propagationPolicy: "Foreground", preconditionUID: object.metaUID))
            } catch let error as APIError where error.isNotFound || error.isConflict {}
        } else if !absent.isEmpty {
            try await removeOwnerReferences(absent, from: object, resource)
        }
    }

    enum OwnerState { case present, absent, deletingInForeground }

    /// Any kind's metadata, typed (the collector reads nothing else of an object); throws naming the object and field.
    static func metadata(_ object: JSONValue) throws -> ObjectMeta {
        do {
            return try AnyObjectMeta(json: object).metadata
        } catch {
            throw UndecodableObject(kind: object["kind"]?.string ?? "object", namespace: object.metaNamespace, name: object.metaName, error: error)
        }
    }

    /// The owner as the API has it now: the cache first, then a live read (a cache miss may be an owner too new).
    func ownerState(_ ref: OwnerReference, namespace: String) async throws -> OwnerState {
        let uid = ref.uid, apiVersion = ref.apiVersion, kind = ref.kind, name = ref.name
        if let cached = graph.object(uid: uid) {
            return cached.metaFinalizers.contains(Self.foregroundFinalizer) && cached.metaDeletionTimestamp != nil ? .deletingInForeground : .present
        }
        guard let type = try await discovery.resources().first(where: { $0.type.apiVersion == apiVersion && $0.type.kind == kind })?.type else {
            // A kind the server does not serve: upstream treats the owner as absent once discovery is certain.
            return .absent
        }
        do {
            let live = try await context.client.get(type, namespace: type.namespaced ? namespace : nil, name: name)
            guard live.metaUID == uid else { return .absent }
            return live.metaFinalizers.contains(Self.foregroundFinalizer) && live.metaDeletionTimestamp != nil ? .deletingInForeground : .present
        } catch let error as APIError where error.isNotFound {
            return .absent
        }
    }

    /// A merge patch of the references kept (the uid and resourceVersion make it apply to the version read only).
    func removeOwnerReferences(_ uids: [String], from object: JSONValue, _ resource: ResourceType) async throws {
        let kept = (try Self.metadata(object).ownerReferences ?? []).filter { !uids.contains($0.uid) }
        var patch: JSONValue = ["metadata": ["uid": .string(object.metaUID),
                                             "ownerReferences": kept.isEmpty ? .null : try JSONValueEncoder().encode(kept)]]
        patch[path: ["metadata", "resourceVersion"]] = .string(object.metaResourceVersion)
        do {
            _ = try await context.client.patch(resource, namespace: resource.namespaced ? object.metaNamespace : nil,
                                               name: object.metaName, type: .merge, body: patch, subresource: nil)
        } catch let error as APIError where error.isNotFound {}
    }

    /// upstream's cycle breaker: an object about to be deleted in foreground for an owner, which itself has a
    /// dependent already deleting in foreground (A owns B, B owns A), would wait for it forever while it waits in
    /// turn. Its references stop blocking their owners first, so the owner can go, and the object after it.
    func unblockIfInCycle(_ object: JSONValue, _ resource: ResourceType) async throws {
        let dependents = graph.dependents(of: object.metaUID, informers: context.informers)
        guard dependents.contains(where: { $0.1.metaDeletionTimestamp != nil && $0.1.metaFinalizers.contains(Self.foregroundFinalizer) }) else {
            return
        }
        var refs = try Self.metadata(object).ownerReferences ?? []
        guard refs.contains(where: { $0.blockOwnerDeletion == true }) else { return }
        for i in refs.indices where refs[i].blockOwnerDeletion == true { refs[i].blockOwnerDeletion = false }
        context.logger.info("garbage collector: \(resource) \(ObjectCache.key(object)) and a dependent are both deleting in foreground; its owner references no longer block their owners, to break the cycle")
        var patch: JSONValue = ["metadata": ["uid": .string(object.metaUID), "ownerReferences": try JSONValueEncoder().encode(refs)]]
        patch[path: ["metadata", "resourceVersion"]] = .string(object.metaResourceVersion)
        do {
            _ = try await context.client.patch(resource, namespace: resource.namespaced ? object.metaNamespace : nil,
                                               name: object.metaName, type: .merge, body: patch, subresource: nil)
        } catch let error as APIError where error.isNotFound {}
    }

    func orphanDependents(of owner: JSONValue, _ resource: ResourceType) async throws {
        for (type, dependent) in graph.dependents(of: owner.metaUID, informers: context.informers) {
            try await removeOwnerReferences([owner.metaUID], from: dependent, type)
        }
        try await removeFinalizer(Self.orphanFinalizer, from: owner, resource)
    }

    func deleteDependents(of owner: JSONValue, _ resource: ResourceType) async throws {
        var blocking = 0
        for (type, dependent) in graph.dependents(of: owner.metaUID, informers: context.informers) {
            do {
                let ref = try Self.metadata(dependent).ownerReferences?.first { $0.uid == owner.metaUID }
                if ref?.blockOwnerDeletion == true { blocking += 1 }
            } catch {
                // Counted as blocking: the owner waits rather than going before a dependent that may block it.
                context.logger.warning("garbage collector: a dependent of \(owner.metaUID): \(error)")
                blocking += 1
            }
            guard dependent.metaDeletionTimestamp == nil else { continue }
            try await unblockIfInCycle(dependent, type)
            do {
                try await context.client.delete(type, namespace: type.namespaced ? dependent.metaNamespace : nil, name: dependent.metaName,
                                                options: DeleteOptions(propagationPolicy: "Foreground", preconditionUID: dependent.metaUID))
            } catch let error as APIError where error.isNotFound || error.isConflict {}
        }
        if blocking == 0 { try await removeFinalizer(Self.foregroundFinalizer, from: owner, resource) }
    }

    func removeFinalizer(_ finalizer: String, from object: JSONValue, _ resource: ResourceType) async throws {
        let updated: JSONValue
        do {
            updated = try Typed<AnyObjectMeta>(object).modified { $0.metadata.finalizers = ($0.metadata.finalizers ?? []).filter { $0 != finalizer } }
        } catch {
            context.logger.warning("garbage collector: leaving the \(finalizer) finalizer of \(resource) \(ObjectCache.key(object)): \(error)")
            return
        }
        do {
            _ = try await context.client.update(resource, namespace: resource.namespaced ? object.metaNamespace : nil,
                                                object: updated, subresource: nil)
        } catch let error as APIError where error.isNotFound {}
    }
}

/// The garbage collector's view across kinds: which resources it follows, and every followed object by UID (so an
/// owner reference of any kind resolves without a read).
final class ObjectGraph: Sendable {
    private struct State {
        var followed: [String: ResourceType] = [:]
        var byUID: [String: (ResourceType, JSONValue)] = [:]
    }

    private let state = Mutex(State())

    static func name(_ r: ResourceType) -> String { "\(r.group)/\(r.version)/\(r.resource)" }

    /// True the first time `resource` is seen.
    func startFollowing(_ resource: ResourceType) -> Bool {
        state.withLock { s in
            guard s.followed[Self.name(resource)] == nil else { return false }
            s.followed[Self.name(resource)] = resource
            return true
        }
    }

    func resource(named name: String) -> ResourceType? { state.withLock { $0.followed[name] } }

    func observe(_ resource: ResourceType, _ object: JSONValue) {
        state.withLock { $0.byUID[object.metaUID] = (resource, object) }
    }

    func forget(_ object: JSONValue) { _ = state.withLock { $0.byUID.removeValue(forKey: object.metaUID) } }

    func object(uid: String) -> JSONValue? { state.withLock { $0.byUID[uid]?.1 } }

    func entry(uid: String) -> (ResourceType, JSONValue)? { state.withLock { $0.byUID[uid] } }

    /// Every followed object with an owner reference to `uid`.
    func dependents(of uid: String, informers: InformerFactory) -> [(ResourceType, JSONValue)] {
        let followed = state.withLock { Array($0.followed.values) }
        return followed.flatMap { type in informers.informer(type).cache.byIndex(Indexes.ownerUID, uid).map { (type, $0) } }
    }
}

/// An object of any kind as the collector reads it: its metadata only, the rest kept as stored by `Typed`.
struct AnyObjectMeta: Codable, Sendable {
    @GoValue var metadata: ObjectMeta = .goZero
}
