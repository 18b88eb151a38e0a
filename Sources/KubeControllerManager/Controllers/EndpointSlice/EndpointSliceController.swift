import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// Upstream's endpointslice controller: for each Service with a selector, EndpointSlices (discovery.k8s.io/v1)
/// list the matching pods' addresses with their ready, serving and terminating conditions, node, zone and the
/// Service's ports resolved against each pod, at most --max-endpoints-per-slice per slice. Slices are named by the
/// apiserver from `<service>-`, labelled with their Service and this controller, and owned by the Service. The
/// queue holds Service keys; pod and slice changes queue the Services they concern.
public final class EndpointSliceController: Controller {
    let context: ControllerContext
    let services: SharedInformer
    let pods: SharedInformer
    let slices: SharedInformer
    let nodes: SharedInformer
    let worker: QueueWorker
    let tracker = EndpointSliceTracker()
    let triggerTimes = TriggerTimes()

    struct PodsOnUnknownNodes: Error, CustomStringConvertible {
        let service: String
        let pods: [String]
        var description: String { "skipped pods \(pods) of Service \(service): their Node is not found" }
    }

    public init(context: ControllerContext) {
        self.context = context
        services = context.informers.informer(.services)
        pods = context.informers.informer(.pods)
        slices = context.informers.informer(.endpointSlices)
        nodes = context.informers.informer(.nodes)
        worker = QueueWorker(name: "endpoint_slice", workers: context.options.concurrentServiceEndpointSyncs, clock: context.clock,
                             logger: context.logger)
        let queue = worker.queue
        let tracker = self.tracker
        ServicePodEvents.follow(services: services, pods: pods, queue: queue, triggerTimes: triggerTimes)
        // A slice changed or removed by anyone (this controller's own writes included, which catch the cache up):
        // its Service is synced again.
        slices.addEventHandler(EventHandler(
            onAdd: { slice in EndpointSliceObjects.serviceKey(slice).map(queue.add) },
            onUpdate: { old, new in
                for key in Set([old, new].compactMap(EndpointSliceObjects.serviceKey)) { queue.add(key) }
            },
            onDelete: { slice in
                guard let key = EndpointSliceObjects.serviceKey(slice) else { return }
                tracker.observedDeletion(key, name: Lifecycle.name(slice))
                queue.add(key)
            }))
    }

    public func run() async {
        await worker.run(context: context) { try await self.sync($0) }
    }

    /// The Service's slices as this controller labels them, in the cache.
    func cachedSlices(_ key: String) -> [JSONValue] {
        let (namespace, _) = Lifecycle.split(key)
        return slices.cache.byIndex(Indexes.namespace, namespace).filter { EndpointSliceObjects.serviceKey($0) == key }
    }

    func sync(_ key: String) async throws {
        let cached = cachedSlices(key)
        guard let service = services.cache.get(key) else {
            _ = triggerTimes.take(key)
            // Owner references let the garbage collector remove them too; this does not wait for it (it may be
            // off), as the endpoints controller does not for its object.
            tracker.forget(key)
            for slice in cached where !Lifecycle.isDeleting(slice) { try await delete(slice, service: key) }
            return
        }
        let component = "endpointslice-controller"
        guard let typed = EndpointsController.typedService(service, component: component, logger: context.logger) else { return }
        // An ExternalName Service has no endpoints; one without a selector gets its slices from whoever made them.
        if typed.object.spec.type == "ExternalName" { return }
        guard let labels = typed.object.spec.selector, !labels.isEmpty else { return }
        let selector = Labels.Selector(matchLabels: labels)
        if tracker.isStale(key, cached: cached) {
            context.logger.debug("EndpointSlice cache for Service \(key) is behind this controller's writes; waiting for it")
            return
        }
        let (namespace, _) = Lifecycle.split(key)
        let logger = context.logger
        let selected = EndpointPod.selected(pods.cache.byIndex(Indexes.namespace, namespace), by: selector) { error in
            logger.warning("\(component): leaving out of Service \(key): \(error)")
        }
        // Slices already being deleted are left to finish (counting them would stall the Service). One that does not
        // decode stops the Service's sync: planning around it could place its endpoints twice.
        let existing: [Typed<EndpointSlice>]
        do {
            existing = try cached.filter { !Lifecycle.isDeleting($0) }.map { try Workloads.typed($0) }
        } catch {
            logger.warning("\(component): skipping \(key): \(error)")
            return
        }
        let desired = DesiredEndpoints(service: typed.object, pods: selected, nodes: nodes.cache)
        var plan = EndpointSlicePlan(service: typed.object, desired: desired, existing: existing,
                                     maxPerSlice: context.options.maxEndpointsPerSlice)
        let triggerTime = triggerTimes.take(key)
        plan.stamp(triggerTime: triggerTime)
        do {
            try await apply(plan, service: key)
        } catch {
            triggerTimes.note(key, triggerTime)
            throw error
        }
        if !desired.podsOnUnknownNodes.isEmpty {
            throw PodsOnUnknownNodes(service: key, pods: desired.podsOnUnknownNodes)
        }
    }

    /// Creates before deletes, so that a consumer never sees the Service without endpoints in between.
    func apply(_ plan: EndpointSlicePlan, service key: String) async throws {
        let (namespace, _) = Lifecycle.split(key)
        let encoder = JSONValueEncoder()
        for slice in plan.create {
            do {
                let created = try await context.client.create(.endpointSlices, namespace: namespace, encoder.encode(slice))
                tracker.wrote(key, created)
            } catch let error as APIError where error.code == 403 && error.message.contains("being terminated") {
                // The namespace is going; its slices go with it.
                return
            }
        }
        for slice in plan.update {
            let updated = try await context.client.update(.endpointSlices, slice.stored.merging(slice.slice))
            tracker.wrote(key, updated)
        }
        for slice in plan.delete { try await delete(slice.json, service: key) }
        if !plan.create.isEmpty || !plan.update.isEmpty || !plan.delete.isEmpty {
            context.logger.info("Synced EndpointSlices of Service \(key): \(plan.create.count) created, \(plan.update.count) updated, \(plan.delete.count) deleted")
        }
    }

    func delete(_ slice: JSONValue, service key: String) async throws {
        do {
            try await context.client.delete(.endpointSlices, namespace: Lifecycle.namespace(slice), name: Lifecycle.name(slice),
                                            options: DeleteOptions(preconditionUID: Lifecycle.uid(slice)))
            tracker.deleted(key, name: Lifecycle.name(slice))
        } catch let error as APIError where error.isNotFound {}
    }
}
