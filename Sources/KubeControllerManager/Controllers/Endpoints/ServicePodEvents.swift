import ControllerRuntime
import KubeJSON

/// What the endpoints and endpointslice controllers both follow: a Service's change queues it (its creation noted as
/// the trigger time), and a pod's change queues the Services in its namespace whose selector matches it now or
/// matched it before (its Ready transition, else its creation, noted as the trigger time).
enum ServicePodEvents {
    static func follow(services: SharedInformer, pods: SharedInformer, queue: WorkQueue, triggerTimes: TriggerTimes) {
        let serviceCache = services.cache
        services.addEventHandler(EventHandler.any { service in
            let key = ObjectCache.key(service)
            triggerTimes.note(key, service[path: ["metadata", "creationTimestamp"]]?.string)
            queue.add(key)
        })
        @Sendable func enqueue(_ pods: [JSONValue]) {
            guard let namespace = pods.first.map(Lifecycle.namespace), let latest = pods.last else { return }
            let changed = Lifecycle.condition(latest, "Ready")?["lastTransitionTime"]?.string
                ?? latest[path: ["metadata", "creationTimestamp"]]?.string
            for service in serviceCache.byIndex(Indexes.namespace, namespace) {
                guard let selector = EndpointsController.selector(service), pods.contains(where: { selector.matches($0.metaLabels) }) else { continue }
                let key = ObjectCache.key(service)
                triggerTimes.note(key, changed)
                queue.add(key)
            }
        }
        pods.addEventHandler(EventHandler(
            onAdd: { enqueue([$0]) },
            onUpdate: { old, new in
                // Resyncs that change nothing are skipped.
                guard old[path: ["metadata", "resourceVersion"]] != new[path: ["metadata", "resourceVersion"]] else { return }
                enqueue([old, new])
            },
            onDelete: { enqueue([$0]) }))
    }
}
