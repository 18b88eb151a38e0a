import KubeClient
import KubeJSON
import Logging
import Synchronization

/// Callbacks a controller registers with an informer (client-go's ResourceEventHandlerFuncs). They run on the
/// informer's task, one at a time and in order, so they must be quick: they enqueue keys.
public struct EventHandler: Sendable {
    public var onAdd: @Sendable (JSONValue) -> Void
    public var onUpdate: @Sendable (_ old: JSONValue, _ new: JSONValue) -> Void
    public var onDelete: @Sendable (JSONValue) -> Void

    public init(onAdd: @escaping @Sendable (JSONValue) -> Void = { _ in },
                onUpdate: @escaping @Sendable (JSONValue, JSONValue) -> Void = { _, _ in },
                onDelete: @escaping @Sendable (JSONValue) -> Void = { _ in }) {
        self.onAdd = onAdd
        self.onUpdate = onUpdate
        self.onDelete = onDelete
    }

    /// The same callback for every change, given the object as it is now (or was, when deleted).
    public static func any(_ handle: @escaping @Sendable (JSONValue) -> Void) -> EventHandler {
        EventHandler(onAdd: handle, onUpdate: { _, new in handle(new) }, onDelete: handle)
    }
}

/// client-go's SharedIndexInformer: one reflector and one cache per resource per process, shared by every
/// controller that follows the resource; handlers added after the start get the stored objects as adds.
public final class SharedInformer: Sendable {
    public let resource: ResourceType
    public let cache: ObjectCache
    private let reflector: Reflector
    private let handlers = Mutex<[EventHandler]>([])
    private let synced = Mutex(false)
    /// Resync period: every object is handed to the handlers again as an update (client-go's resync); nil for none.
    private let resyncSeconds: Double?

    public init(reflector: Reflector, indexers: [String: ObjectCache.IndexFunction] = [:], resyncSeconds: Double? = nil) {
        self.resource = reflector.resource
        self.reflector = reflector
        self.cache = ObjectCache(indexers: indexers)
        self.resyncSeconds = resyncSeconds
    }

    public var hasSynced: Bool { synced.withLock { $0 } }

    public func addIndexer(_ name: String, _ function: @escaping ObjectCache.IndexFunction) {
        cache.addIndexer(name, function)
    }

    public func addEventHandler(_ handler: EventHandler) {
        // Registering and replaying under one lock: a delta delivered meanwhile reaches the new handler once.
        handlers.withLock { list in
            list.append(handler)
            if synced.withLock({ $0 }) { for object in cache.list() { handler.onAdd(object) } }
        }
    }

    /// Lists, watches and delivers until cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            if let resyncSeconds {
                let clock = reflector.clock
                group.addTask { [self] in
                    while (try? await clock.sleep(for: resyncSeconds)) != nil {
                        guard hasSynced else { continue }
                        handlers.withLock { list in
                            for object in cache.list() { for h in list { h.onUpdate(object, object) } }
                        }
                    }
                }
            }
            group.addTask { [self] in
                await reflector.run(into: cache) { delta in
                    handlers.withLock { list in
                        switch delta {
                        case .added(let o): for h in list { h.onAdd(o) }
                        case .updated(let old, let new): for h in list { h.onUpdate(old, new) }
                        case .deleted(let o): for h in list { h.onDelete(o) }
                        case .synced: synced.withLock { $0 = true }
                        }
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}

/// client-go's SharedInformerFactory: informers handed out by resource, one each per process, all started together.
public final class InformerFactory: Sendable {
    public let client: any KubernetesClient
    public let clock: any RuntimeClock
    let logger: Logger
    private let informers = Mutex<[ResourceType: SharedInformer]>([:])
    private let running = Mutex<[ResourceType: Task<Void, Never>]>([:])

    public init(client: any KubernetesClient, clock: any RuntimeClock = SystemClock(), logger: Logger) {
        self.client = client
        self.clock = clock
        self.logger = logger
    }

    /// The informer for `resource`, made on first use with the namespace index.
    public func informer(_ resource: ResourceType) -> SharedInformer {
        informers.withLock { all in
            if let existing = all[resource] { return existing }
            var reflector = Reflector(client: client, resource: resource, clock: clock, logger: logger)
            reflector.transform = Reflector.stripManagedFields
            let informer = SharedInformer(reflector: reflector, indexers: [Indexes.namespace: Indexes.byNamespace])
            all[resource] = informer
            return informer
        }
    }

    /// Starts every informer made so far that is not running yet (call again after making more).
    public func start() {
        let all = informers.withLock { $0 }
        running.withLock { running in
            for (resource, informer) in all where running[resource] == nil {
                running[resource] = Task { await informer.run() }
            }
        }
    }

    /// Waits until every started informer has listed once; false if cancelled first.
    public func waitForCacheSync() async -> Bool {
        while !Task.isCancelled {
            let all = informers.withLock { Array($0.values) }
            if all.allSatisfy(\.hasSynced) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    public func shutdown() async {
        let tasks = running.withLock { running -> [Task<Void, Never>] in
            defer { running = [:] }
            return Array(running.values)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}
