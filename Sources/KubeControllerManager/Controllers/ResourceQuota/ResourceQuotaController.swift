import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// Upstream's resource quota controller: a quota's `status.hard` is its `spec.hard`, and `status.used` what its
/// namespace uses of each of those resources, counted from the caches. The queue holds quota keys; a change of a
/// counted object queues the quotas of its namespace (the queue folds a burst into one recount), and every quota
/// is recounted each `--resource-quota-sync-period` (5 min) as upstream's full resync.
public final class ResourceQuotaController: Controller {
    static let resyncPeriod: Double = 300

    let context: ControllerContext
    let quotas: SharedInformer
    let counted: [ResourceType: SharedInformer]
    let worker: QueueWorker
    /// For `count/<resource>.<group>` of kinds without an informer here (custom resources, leases, …).
    let discovery: DiscoveryCache

    public init(context: ControllerContext) {
        self.context = context
        discovery = DiscoveryCache(client: context.client, clock: context.clock)
        quotas = context.informers.informer(.resourceQuotas)
        var counted: [ResourceType: SharedInformer] = [:]
        for type in QuotaUsage.countedTypes { counted[type] = context.informers.informer(type) }
        self.counted = counted
        worker = QueueWorker(name: "resourcequota_primary", workers: context.options.concurrentResourceQuotaSyncs,
                             clock: context.clock, logger: context.logger)
        let queue = worker.queue
        // Every update: this apiserver resets `status.used` on any write of the quota itself, so a label change
        // needs a recount too; the controller's own status write comes back and is found unchanged.
        quotas.addEventHandler(EventHandler(
            onAdd: { queue.add(ObjectCache.key($0)) },
            onUpdate: { _, new in queue.add(ObjectCache.key(new)) }))
        let quotaCache = quotas.cache
        let enqueueNamespace: @Sendable (JSONValue) -> Void = { object in
            for quota in quotaCache.byIndex(Indexes.namespace, Lifecycle.namespace(object)) { queue.add(ObjectCache.key(quota)) }
        }
        for informer in counted.values {
            informer.addEventHandler(EventHandler(
                onAdd: enqueueNamespace,
                onUpdate: { old, new in
                    if old["spec"] != new["spec"] || old[path: ["status", "phase"]] != new[path: ["status", "phase"]]
                        || Lifecycle.isDeleting(old) != Lifecycle.isDeleting(new) { enqueueNamespace(new) }
                },
                onDelete: enqueueNamespace))
        }
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in await worker.run(context: context) { try await self.sync($0) } }
            group.addTask { [self] in
                while (try? await context.clock.sleep(for: Self.resyncPeriod)) != nil {
                    for key in quotas.cache.keys { worker.queue.add(key) }
                }
            }
            await group.waitForAll()
        }
    }

    func sync(_ key: String) async throws {
        guard let json = quotas.cache.get(key) else { return }
        let namespace = json.metaNamespace
        do {
            let quota: Typed<ResourceQuota> = try Workloads.typed(json)
            guard let hard = quota.object.spec.hard else {
                context.logger.warning("ResourceQuota \(key) has no spec.hard map; skipping")
                return
            }
            let scopes = QuotaEvaluation.scopeRequirements(quota.object.spec)
            // Every pod of the namespace, decoded for its resources: a quota counts them all, once per (folded) change.
            let pods = try (counted[.pods]?.cache.byIndex(Indexes.namespace, namespace) ?? []).map(QuotaUsage.pod)
                .filter { QuotaEvaluation.podMatches($0, scopes) }
            let counts = try QuotaUsage.used(hard: Set(hard.keys), pods: pods, objects: { type in
                self.counted[type]?.cache.byIndex(Indexes.namespace, namespace) ?? []
            }, scoped: !scopes.isEmpty, now: context.clock.now())
            var used = counts.mapValues { ResourceQuantity($0.text) }
            for resource in hard.keys where counts[resource] == nil && scopes.isEmpty {
                if let count = try await countListed(resource, namespace: namespace) { used[resource] = ResourceQuantity(count.text) }
            }
            var status = ResourceQuotaStatus()
            status.hard = hard
            status.used = used
            // Compared as read (a quantity stored as a number equals its text): written only where it differs.
            guard quota.object.status != status else { return }
            _ = try await context.client.updateStatus(.resourceQuotas, quota.modified { $0.status = status })
        } catch let error as UndecodableObject {
            // Counting around an object it cannot read would understate usage: the quota is left as it is.
            context.logger.warning("resourcequota-controller: skipping \(key): \(error)")
        } catch let error as APIError where error.isNotFound {}
    }

    /// `count/<resource>[.<group>]` of any other served kind (upstream's generic object-count evaluator), counted by a
    /// list: their creations are charged by quota admission at once, their deletions show at the next recount (the
    /// quota's own changes and the 5-minute resync). nil when the server serves no such resource.
    func countListed(_ name: String, namespace: String) async throws -> QuotaQuantity? {
        guard name.hasPrefix("count/") else { return nil }
        let wanted = String(name.dropFirst("count/".count))
        guard let type = try await discovery.resources().first(where: {
            $0.type.namespaced && $0.verbs.contains("list") && QuotaEvaluation.countName(resource: $0.type.resource, group: $0.type.group) == name
        })?.type else {
            context.logger.info("resourcequota-controller: no served resource for \(wanted); \(name) is not counted")
            return nil
        }
        return QuotaQuantity(count: try await context.client.list(type, namespace: namespace).items.count)
    }
}
