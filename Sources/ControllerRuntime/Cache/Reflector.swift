import KubeClient
import KubeJSON
import Logging

/// What a reflector saw, in order: the informer applies it to its cache and tells its handlers.
public enum Delta: Sendable {
    case added(JSONValue)
    case updated(old: JSONValue, new: JSONValue)
    case deleted(JSONValue)
    /// A relist finished: every object now stored (a relist also yields added/updated/deleted for what changed).
    case synced
}

/// client-go's Reflector: LIST (in pages), then WATCH from the list's resourceVersion with bookmarks; a watch that
/// ends is resumed from the last resourceVersion seen, a 410 Gone brings a relist, failures back off (0.8 s
/// doubling to 30 s, as client-go's). Runs until its task is cancelled.
public struct Reflector: Sendable {
    public let client: any KubernetesClient
    public let resource: ResourceType
    public let namespace: String?
    public let labelSelector: String?
    public let fieldSelector: String?
    public let clock: any RuntimeClock
    public let logger: Logger
    /// The page size of the initial list (client-go's is 500).
    public var pageSize = 500
    /// Applied to every object before it is cached or delivered (client-go's TransformFunc).
    public var transform: (@Sendable (JSONValue) -> JSONValue)?

    public init(client: any KubernetesClient, resource: ResourceType, namespace: String? = nil, labelSelector: String? = nil,
                fieldSelector: String? = nil, clock: any RuntimeClock = SystemClock(), logger: Logger) {
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.clock = clock
        self.logger = logger
    }

    /// Lists and watches into `cache`, calling `deliver` for each change the cache takes.
    public func run(into cache: ObjectCache, deliver: @Sendable (Delta) async -> Void) async {
        var resourceVersion: String?
        var failures = 0
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    resourceVersion = try await relist(into: cache, deliver: deliver)
                }
                guard let from = resourceVersion else { continue }
                // client-go's minWatchTimeout (5 min) with jitter, so watches of many clients do not end together.
                let timeout = Int.random(in: 300...600)
                let events = try await client.watch(resource, namespace: namespace,
                                                    options: ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector,
                                                                         resourceVersion: from, timeoutSeconds: timeout,
                                                                         allowWatchBookmarks: true))
                failures = 0
                for try await event in events {
                    if let rv = event.object[path: ["metadata", "resourceVersion"]]?.string, !rv.isEmpty { resourceVersion = rv }
                    switch event.type {
                    case .added, .modified:
                        let object = transform?(event.object) ?? event.object
                        if let old = cache.put(object) {
                            await deliver(.updated(old: old, new: object))
                        } else {
                            await deliver(.added(object))
                        }
                    case .deleted:
                        let old = cache.remove(ObjectCache.key(event.object))
                        await deliver(.deleted(old ?? transform?(event.object) ?? event.object))
                    case .bookmark, .error:
                        break
                    }
                }
            } catch let error as APIError where error.isGone {
                logger.info("watch of \(resource) from resourceVersion \(resourceVersion ?? "") expired (\(error.message)); relisting")
                resourceVersion = nil
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let delay = min(0.8 * Double(1 << min(failures - 1, 6)), 30)
                logger.warning("watch of \(resource) failed: \(error); retrying in \(delay)s")
                if failures > 3 { resourceVersion = nil }
                do { try await clock.sleep(for: delay) } catch { return }
            }
        }
    }

    private func relist(into cache: ObjectCache, deliver: @Sendable (Delta) async -> Void) async throws -> String {
        var items: [JSONValue] = []
        var options = ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector, limit: pageSize)
        var version = ""
        while true {
            let page = try await client.list(resource, namespace: namespace, options: options)
            if let transform { items += page.items.map(transform) } else { items += page.items }
            version = page.resourceVersion
            guard let next = page.continueToken else { break }
            options.continueToken = next
        }
        var previous: [String: JSONValue] = [:]
        for object in cache.list() { previous[ObjectCache.key(object)] = object }
        let gone = cache.replace(items)
        for object in items {
            if let old = previous[ObjectCache.key(object)] {
                if old[path: ["metadata", "resourceVersion"]] != object[path: ["metadata", "resourceVersion"]] {
                    await deliver(.updated(old: old, new: object))
                }
            } else {
                await deliver(.added(object))
            }
        }
        for (_, object) in gone { await deliver(.deleted(object)) }
        await deliver(.synced)
        return version
    }
}

extension Reflector {
    /// Drops `metadata.managedFields`, as kube-controller-manager's and kube-scheduler's informers do upstream: no
    /// controller reads them, they are often the larger half of an object, and an update sent without them leaves the
    /// server's copy in place.
    @Sendable public static func stripManagedFields(_ object: JSONValue) -> JSONValue {
        guard case .object(var fields) = object, case .object(var metadata)? = fields["metadata"],
              metadata["managedFields"] != nil else { return object }
        metadata["managedFields"] = nil
        fields["metadata"] = .object(metadata)
        return .object(fields)
    }
}
