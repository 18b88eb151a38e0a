import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging
import Synchronization

/// Upstream's endpoints controller: for each Service with a selector, an Endpoints object of the same name lists the
/// IPs of the matching pods, ready ones under `addresses`, others under `notReadyAddresses`, with the Service's
/// ports resolved against each pod. Services without a selector (the apiserver's `kubernetes`, user-managed ones)
/// are left alone. The queue holds Service keys; a pod change queues the Services selecting it.
public final class EndpointsController: Controller {
    static let triggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time"
    static let overCapacityAnnotation = "endpoints.kubernetes.io/over-capacity"
    static let leaderAnnotation = "control-plane.alpha.kubernetes.io/leader"
    static let headlessLabel = "service.kubernetes.io/headless"
    static let maxCapacity = 1000

    let context: ControllerContext
    let services: SharedInformer
    let pods: SharedInformer
    let endpoints: SharedInformer
    let worker: QueueWorker
    let triggerTimes = TriggerTimes()

    public init(context: ControllerContext) {
        self.context = context
        services = context.informers.informer(.services)
        pods = context.informers.informer(.pods)
        endpoints = context.informers.informer(.endpoints)
        worker = QueueWorker(name: "endpoint", workers: context.options.concurrentEndpointSyncs, clock: context.clock,
                             logger: context.logger)
        let queue = worker.queue
        let serviceCache = services.cache
        ServicePodEvents.follow(services: services, pods: pods, queue: queue, triggerTimes: triggerTimes)
        // A leftover or deleted Endpoints object: its Service decides (checkLeftoverEndpoints, onEndpointsDelete).
        endpoints.addEventHandler(EventHandler(
            onAdd: { ep in
                guard ep[path: ["metadata", "annotations", Self.leaderAnnotation]] == nil else { return }
                if serviceCache.get(ObjectCache.key(ep)) == nil { queue.add(ObjectCache.key(ep)) }
            },
            onDelete: { ep in queue.add(ObjectCache.key(ep)) }))
    }

    /// A Service's selector, for pod events: nil for none (an absent or empty map), which leaves its Endpoints to
    /// others, and for one that does not decode (the sync logs that). Only this field is read: it runs for every
    /// Service of the namespace on every pod change.
    static func selector(_ service: JSONValue) -> Labels.Selector? {
        guard let json = service[path: ["spec", "selector"]], json != .null,
              let labels = try? [String: String](json: json), !labels.isEmpty else { return nil }
        return Labels.Selector(matchLabels: labels)
    }

    /// The Service as a sync reads it; nil (logged, naming the field) when it does not decode.
    static func typedService(_ json: JSONValue, component: String, logger: Logger) -> Typed<Service>? {
        do {
            return try Workloads.typed(json)
        } catch {
            logger.warning("\(component): skipping \(ObjectCache.key(json)): \(error)")
            return nil
        }
    }

    public func run() async {
        await worker.run(context: context) { try await self.sync($0) }
    }

    func sync(_ key: String) async throws {
        let (namespace, name) = Lifecycle.split(key)
        guard let service = services.cache.get(key) else {
            _ = triggerTimes.take(key)
            // The Service is gone: so is its Endpoints object (a leader-election lock of the same name stays).
            if let existing = endpoints.cache.get(key), existing[path: ["metadata", "annotations", Self.leaderAnnotation]] != nil { return }
            do {
                try await context.client.delete(.endpoints, namespace: namespace, name: name)
                context.logger.info("Deleted Endpoints \(key): its Service is gone")
            } catch let error as APIError where error.isNotFound {}
            return
        }
        guard let typed = Self.typedService(service, component: "endpoints-controller", logger: context.logger),
              let labels = typed.object.spec.selector, !labels.isEmpty else { return }
        let selector = Labels.Selector(matchLabels: labels)
        // The apiserver keeps this one's Endpoints (it has no selector; this guards against one being added).
        if namespace == "default" && name == "kubernetes" { return }
        let triggerTime = triggerTimes.take(key)
        do {
            try await write(typed, subsets: subsets(for: typed.object, selector: selector), triggerTime: triggerTime)
        } catch {
            triggerTimes.note(key, triggerTime)
            throw error
        }
    }

    /// syncService's loop over the selected pods.
    func subsets(for service: Service, selector: Labels.Selector) -> [EndpointSubset] {
        let spec = service.spec
        let namespace = service.metadata.namespace ?? "", name = service.metadata.name ?? ""
        let logger = context.logger
        let pods = EndpointPod.selected(pods.cache.byIndex(Indexes.namespace, namespace), by: selector) { error in
            logger.warning("endpoints-controller: leaving out of Service \(namespace)/\(name): \(error)")
        }
        var entries: [(address: EndpointSubsets.Address, port: EndpointPort?)] = []
        for pod in pods {
            // ShouldPodBeInEndpoints: not terminal, has an IP, not being deleted unless not-ready ones are published.
            let ip = pod.podIP.isEmpty ? pod.podIPs.first ?? "" : pod.podIP
            guard !pod.isTerminal, !ip.isEmpty, spec.publishNotReadyAddresses || !pod.isDeleting else { continue }
            // ShouldSetHostname: a pod naming this Service as its subdomain gets its hostname published.
            let hostname = !pod.hostname.isEmpty && pod.subdomain == name && spec.isHeadless ? pod.hostname : ""
            let address = EndpointAddress(ip: ip, hostname: hostname, nodeName: pod.nodeName.isEmpty ? nil : pod.nodeName,
                                          targetRef: pod.reference)
            let entry = EndpointSubsets.Address(address: address, ready: spec.publishNotReadyAddresses || pod.isReady)
            let ports = spec.ports ?? []
            if ports.isEmpty {
                // A headless Service may have no ports.
                if spec.isHeadless { entries.append((entry, nil)) }
                continue
            }
            for servicePort in ports {
                guard let number = EndpointSubsets.findPort(pod: pod, servicePort: servicePort) else {
                    logger.debug("Failed to find port for service \(namespace)/\(name) in pod \(pod.namespace)/\(pod.name)")
                    continue
                }
                entries.append((entry, EndpointSubsets.endpointPort(servicePort, number)))
            }
        }
        return EndpointSubsets.repack(entries)
    }
}

/// The earliest change not yet written for each Service (upstream's TriggerTimeTracker, reduced to what the events
/// carry): the pod's Ready transition or creation, or the Service's creation.
final class TriggerTimes: Sendable {
    private let times = Mutex<[String: String]>([:])

    func note(_ key: String, _ time: String?) {
        guard let time else { return }
        times.withLock { times in
            if let existing = times[key], (SystemClock.parse(existing) ?? 0) <= (SystemClock.parse(time) ?? 0) { return }
            times[key] = time
        }
    }

    func take(_ key: String) -> String? { times.withLock { $0.removeValue(forKey: key) } }
}
