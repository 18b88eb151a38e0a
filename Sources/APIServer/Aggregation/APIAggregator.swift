import KubeAPI
import KubeJSON
import KubeStorage
import Logging
import Synchronization

/// kube-aggregator inside the kube-apiserver: follows the stored APIServices, keeps their Available condition (the
/// availability controller), proxies requests for remote group/versions to their Services, and keeps what each
/// remote group/version lists for discovery. Local APIServices are kept in step with what this server serves
/// (`LocalAPIServices`).
public final class APIAggregator: Sendable {
    static let prefix = "/registry/apiregistration.k8s.io/apiservices/"
    static let servicesRoot = "/registry/services/specs/"
    static let endpointsRoot = "/registry/services/endpoints/"
    /// How often every APIService is checked again (upstream's resync of the availability controller).
    static let resyncInterval: Duration = .seconds(30)

    /// An APIService as last seen, with what its backend listed the last time it answered.
    struct Entry: Sendable {
        var apiService: APIService
        var resourceList: JSONValue?
        var discovery: JSONValue?
    }

    let transport: (any AggregationTransport)?
    let logger: Logger
    private let entries = Mutex<[String: Entry]>([:])
    private let pending = Mutex<Set<String>>([])
    private let queue: (stream: AsyncStream<String>, continuation: AsyncStream<String>.Continuation)
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(transport: (any AggregationTransport)?, logger: Logger) {
        self.transport = transport
        self.logger = logger
        queue = AsyncStream<String>.makeStream()
    }

    // MARK: lifecycle

    /// Registers the local APIServices, then follows APIServices, Services and Endpoints and checks availability.
    func start(server: APIServer) async {
        await LocalAPIServices.sync(server: server, logger: logger)
        let storage = server.storage, logger = self.logger
        let apiServices = StorageReflector(storage: storage, prefix: Self.prefix, logger: logger)
        let services = StorageReflector(storage: storage, prefix: Self.servicesRoot, logger: logger)
        let endpoints = StorageReflector(storage: storage, prefix: Self.endpointsRoot, logger: logger)
        let started = [
            Task { await apiServices.run { event in self.apiServiceEvent(event) } },
            Task { await services.run { event in self.serviceEvent(event) } },
            Task { await endpoints.run { event in self.serviceEvent(event) } },
            Task {
                for await name in self.queue.stream {
                    _ = self.pending.withLock { $0.remove(name) }
                    await self.check(name, server: server)
                }
            },
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.resyncInterval)
                    for name in self.entries.withLock({ Array($0.keys) }) { self.enqueue(name) }
                }
            },
        ]
        tasks.withLock { $0 = started }
    }

    /// Returns once no check runs: nothing the aggregator does writes to the storage after that.
    func stop() async {
        let running = tasks.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        queue.continuation.finish()
        for task in running { task.cancel() }
        for task in running { await task.value }
    }

    /// The served resources changed (a CustomResourceDefinition came, changed or went): its APIServices follow.
    func catalogChanged(server: APIServer) async {
        await LocalAPIServices.sync(server: server, logger: logger)
    }

    // MARK: events

    private func enqueue(_ name: String) {
        if pending.withLock({ $0.insert(name).inserted }) { queue.continuation.yield(name) }
    }

    private func apiServiceEvent(_ event: StorageEvent) {
        let name = String(event.kv.key.dropFirst(Self.prefix.count))
        if event.type == .delete {
            entries.withLock { _ = $0.removeValue(forKey: name) }
            return
        }
        guard let object = event.object else { return }
        let apiService: APIService
        do { apiService = try JSONValueDecoder(clampsIntegers: true).decode(APIService.self, from: object) } catch {
            logger.warning("APIService \(name) skipped: \(error)")
            return
        }
        let changed = entries.withLock { entries -> Bool in
            let previous = entries[name]
            var entry = previous ?? Entry(apiService: apiService)
            // What the backend listed stays while the same backend serves it.
            if previous?.apiService.spec != apiService.spec { entry.resourceList = nil; entry.discovery = nil }
            entry.apiService = apiService
            entries[name] = entry
            return previous?.apiService.spec != apiService.spec || previous == nil
        }
        // A status write of our own comes back here; only a new or changed spec needs a check now.
        if changed { enqueue(name) }
    }

    /// A Service or its Endpoints changed: the APIServices it backs are checked again.
    private func serviceEvent(_ event: StorageEvent) {
        let key = event.kv.key
        let rest = key.hasPrefix(Self.servicesRoot) ? key.dropFirst(Self.servicesRoot.count)
            : key.dropFirst(Self.endpointsRoot.count)
        let parts = rest.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        let names = entries.withLock { entries in
            entries.filter { $0.value.apiService.spec.service?.namespace == parts[0] && $0.value.apiService.spec.service?.name == parts[1] }
                .map(\.key)
        }
        for name in names { enqueue(name) }
    }

    // MARK: availability

    private func check(_ name: String, server: APIServer) async {
        guard let entry = entries.withLock({ $0[name] }) else { return }
        let outcome = await AvailabilityCheck(resolver: ServiceResolver(server: server), transport: transport).run(entry.apiService)
        if let endpoint = outcome.endpoint, let list = outcome.resourceList {
            let discovery = await RemoteDiscovery(transport: transport, logger: logger)
                .versionEntry(group: entry.apiService.spec.group, version: entry.apiService.spec.version, at: endpoint, legacy: list)
            entries.withLock { entries in
                guard entries[name]?.apiService.spec == entry.apiService.spec else { return }
                entries[name]?.resourceList = list
                entries[name]?.discovery = discovery
            }
        }
        await writeStatus(name, outcome, server: server)
    }

    private func writeStatus(_ name: String, _ outcome: AvailabilityCheck.Outcome, server: APIServer) async {
        guard let store = server.store("apiregistration.k8s.io", "v1", "apiservices") else { return }
        let context = RequestContext(user: UserInfo(name: "system:apiserver", groups: ["system:masters"]), subresource: "status")
        let logger = self.logger
        do {
            let written = try await store.guaranteedUpdate(namespace: "", name: name, context: context) { current in
                guard var object = current else {
                    throw StatusError.notFound(GroupResource(group: "apiregistration.k8s.io", resource: "apiservices"), name)
                }
                var conditions = object[path: ["status", "conditions"]]?.array ?? []
                let index = conditions.firstIndex { $0["type"]?.string == APIServiceStrategy.availableType }
                let old = index.map { conditions[$0] }
                if let old, old["status"]?.string == outcome.status, old["reason"]?.string == outcome.reason,
                   old["message"]?.string == outcome.message {
                    throw Unchanged()
                }
                let since = old?["status"]?.string == outcome.status ? (old?["lastTransitionTime"]?.string ?? Timestamp.format(Timestamp.now()))
                    : Timestamp.format(Timestamp.now())
                let condition = APIServiceStrategy.condition(status: outcome.status, reason: outcome.reason, message: outcome.message, at: since)
                if let index { conditions[index] = condition } else { conditions.append(condition) }
                object[path: ["status", "conditions"]] = .array(conditions)
                if old?["status"]?.string != outcome.status {
                    logger.info("changing APIService availability", metadata: [
                        "name": "\(name)", "oldStatus": "\(old?["status"]?.string ?? "Unknown")", "newStatus": "\(outcome.status)",
                        "message": "\(outcome.message)", "reason": "\(outcome.reason)"])
                }
                return object
            }
            // Proxying follows the condition as written, without waiting for the watch to bring it back.
            if let apiService = try? JSONValueDecoder(clampsIntegers: true).decode(APIService.self, from: written.0) {
                entries.withLock { entries in
                    guard entries[name]?.apiService.spec == apiService.spec else { return }
                    entries[name]?.apiService = apiService
                }
            }
        } catch is Unchanged {
        } catch let error as StatusError where error.code == 404 {
        } catch {
            logger.warning("APIService \(name): writing status: \(error)")
        }
    }

    private struct Unchanged: Error {}

    // MARK: what requests and discovery read

    /// The remote APIService serving `group`/`version`, if any.
    func remote(group: String, version: String) -> APIService? {
        entries.withLock { entries in
            guard let entry = entries[LocalAPIServices.name(group: group, version: version)], entry.apiService.spec.service != nil else {
                return nil
            }
            return entry.apiService
        }
    }

    /// Every remote group/version, with what its backend listed.
    var remotes: [RemoteGroupVersion] {
        entries.withLock { entries in
            entries.values.compactMap { entry in
                let spec = entry.apiService.spec
                guard spec.service != nil, !spec.group.isEmpty else { return nil }
                return RemoteGroupVersion(group: spec.group, version: spec.version, groupPriority: spec.groupPriorityMinimum,
                                          versionPriority: spec.versionPriority, available: entry.apiService.isAvailable,
                                          resourceList: entry.resourceList, discovery: entry.discovery)
            }
        }
    }
}

/// A group/version an aggregated server serves, as discovery merges it.
struct RemoteGroupVersion: Sendable {
    var group: String
    var version: String
    var groupPriority: Int32
    var versionPriority: Int32
    var available: Bool
    var resourceList: JSONValue?
    var discovery: JSONValue?
}
