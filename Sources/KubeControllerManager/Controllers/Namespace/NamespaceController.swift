import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging
import Synchronization

/// upstream's namespace controller: a terminating namespace is emptied — every namespaced resource found through
/// discovery that can be listed and deleted, custom resources included — and once nothing is left its `kubernetes`
/// finalizer is removed through `namespaces/<name>/finalize`, which lets the apiserver delete it. Objects that keep
/// finalizers of their own (owned by other controllers) are waited for, as upstream does.
struct NamespaceController: Controller {
    static let finalizer = "kubernetes"

    let context: ControllerContext
    let namespaces: ObjectStore
    let worker: QueueWorker
    let discovery: DiscoveryCache

    init(context: ControllerContext) {
        self.context = context
        namespaces = ObjectStore(.namespaces, context: context)
        worker = QueueWorker(name: "namespace", workers: context.options.concurrentNamespaceSyncs, clock: context.clock, logger: context.logger)
        discovery = DiscoveryCache(client: context.client, clock: context.clock)
        let queue = worker.queue
        namespaces.informer.addEventHandler(.any { ns in
            if ns.metaDeletionTimestamp != nil { queue.add(ns.metaName) }
        })
    }

    func run() async {
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ name: String) async throws {
        guard let json = namespaces.cache.get(name), json.metaDeletionTimestamp != nil else { return }
        let ns: Namespace
        do {
            ns = try Workloads.typed(json).object
        } catch {
            context.logger.warning("namespace-controller: skipping \(name): \(error)")
            return
        }
        let finalizers = ns.spec.finalizers ?? []
        guard finalizers.contains(Self.finalizer) else { return }
        let (found, terminating) = try await deleteContent(of: name)
        if found > 0 {
            // Look again: what was deleted outright is gone by then; what terminates (grace periods, finalizers
            // other controllers own) is waited for, as upstream estimates and waits.
            if terminating > 0 { context.logger.info("namespace \(name): \(terminating) object(s) still terminating") }
            worker.queue.add(name, after: terminating > 0 ? 5 : 0.5)
            return
        }
        var meta = ObjectMeta(name: name)
        meta.uid = ns.metadata.uid ?? ""
        let body = Namespace(metadata: meta, spec: NamespaceSpec(finalizers: finalizers.filter { $0 != Self.finalizer }))
        do {
            _ = try await context.client.update(.namespaces, namespace: nil, object: JSONValueEncoder().encode(body), subresource: "finalize")
            context.logger.info("namespace \(name) has been emptied and finalized")
        } catch let error as APIError where error.isNotFound {}
    }

    /// Deletes what is left in the namespace: how many objects were found, and how many of them were already
    /// terminating.
    func deleteContent(of namespace: String) async throws -> (found: Int, terminating: Int) {
        var found = 0, terminating = 0
        for resource in try await discovery.deletableNamespaced() {
            let list: ObjectList
            do {
                list = try await context.client.list(resource, namespace: namespace, options: ListOptions())
            } catch let error as APIError where error.isNotFound || error.code == 405 {
                continue
            }
            for item in list.items {
                found += 1
                guard item.metaDeletionTimestamp == nil else {
                    terminating += 1
                    continue
                }
                do {
                    try await context.client.delete(resource, namespace: namespace, name: item.metaName,
                                                    options: DeleteOptions(propagationPolicy: "Background"))
                } catch let error as APIError where error.isNotFound {}
            }
        }
        return (found, terminating)
    }
}

/// Discovery of every resource the server serves, refreshed at most every 30 s (new CRDs appear within that).
final class DiscoveryCache: Sendable {
    private let client: any KubernetesClient
    private let clock: any RuntimeClock
    private let state = Mutex<(at: Double, resources: [DiscoveredResource])?>(nil)

    init(client: any KubernetesClient, clock: any RuntimeClock) {
        self.client = client
        self.clock = clock
    }

    func resources() async throws -> [DiscoveredResource] {
        let now = clock.now()
        if let cached = state.withLock({ $0 }), now - cached.at < 30 { return cached.resources }
        let fresh = try await client.serverResources()
        state.withLock { $0 = (now, fresh) }
        return fresh
    }

    /// Namespaced resources that can be listed and deleted (events too: upstream empties them like the rest).
    func deletableNamespaced() async throws -> [ResourceType] {
        try await resources().filter { $0.type.namespaced && $0.verbs.isSuperset(of: ["list", "delete"]) }.map(\.type)
    }
}
