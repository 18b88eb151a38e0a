import ControllerRuntime
import KubeClient
import KubeJSON

/// What each quota resource name counts (upstream's evaluators for pods, services, persistentvolumeclaims and the
/// object-count ones), over a namespace's objects from the caches.
enum QuotaUsage {
    /// `count/<resource>[.<group>]` resources this controller follows, and the plain names of the core ones.
    static let countedTypes: [ResourceType] = [.pods, .services, .configMaps, .secrets, .persistentVolumeClaims,
                                               .replicaSets, .deployments, .statefulSets, .daemonSets, .jobs, .cronJobs]
    static let plainCounts: [String: ResourceType] = ["pods": .pods, "services": .services, "configmaps": .configMaps,
                                                      "secrets": .secrets, "persistentvolumeclaims": .persistentVolumeClaims]

    static func countName(_ type: ResourceType) -> String { "count/" + type.description }

    /// QuotaV1Pod: a pod counts until it terminates or its deletion grace has run out.
    static func podCounts(_ pod: JSONValue, now: Double) -> Bool {
        if Lifecycle.isPodTerminal(pod) { return false }
        if let deletion = pod[path: ["metadata", "deletionTimestamp"]]?.string.flatMap({ SystemClock.parse($0) }),
           let grace = pod[path: ["metadata", "deletionGracePeriodSeconds"]]?.int,
           now > deletion + Double(grace) { return false }
        return true
    }

    /// The pod's requests or limits of one resource: the larger of its containers' sum and any init container's,
    /// plus the pod overhead (PodRequests/PodLimits).
    static func podResource(_ pod: JSONValue, _ kind: String, _ resource: String) -> QuotaQuantity {
        func value(_ container: JSONValue) -> QuotaQuantity {
            var text = container[path: ["resources", kind, resource]]?.string
            // A limit without a request is the request (the apiserver defaults it so; objects written before may lack it).
            if text == nil, kind == "requests" { text = container[path: ["resources", "limits", resource]]?.string }
            return text.flatMap(QuotaQuantity.init) ?? .zero
        }
        var sum = QuotaQuantity.zero
        for container in pod[path: ["spec", "containers"]]?.array ?? [] { sum = sum + value(container) }
        for container in pod[path: ["spec", "initContainers"]]?.array ?? [] { sum = QuotaQuantity.max(sum, value(container)) }
        if let overhead = pod[path: ["spec", "overhead", resource]]?.string.flatMap(QuotaQuantity.init) { sum = sum + overhead }
        return sum
    }

    /// Usage of `resource` in a namespace, nil for a resource this controller does not count (left out of used).
    static func usage(of resource: String, pods: [JSONValue], objects: (ResourceType) -> [JSONValue], now: Double) -> QuotaQuantity? {
        if let type = countedTypes.first(where: { countName($0) == resource }) {
            let items = type == .pods ? pods.filter { podCounts($0, now: now) } : objects(type)
            return QuotaQuantity(count: items.count)
        }
        if let type = plainCounts[resource] {
            let items = type == .pods ? pods.filter { podCounts($0, now: now) } : objects(type)
            return QuotaQuantity(count: items.count)
        }
        let live = pods.filter { podCounts($0, now: now) }
        switch resource {
        case "cpu", "requests.cpu": return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "requests", "cpu") }
        case "memory", "requests.memory": return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "requests", "memory") }
        case "ephemeral-storage", "requests.ephemeral-storage":
            return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "requests", "ephemeral-storage") }
        case "limits.cpu": return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "limits", "cpu") }
        case "limits.memory": return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "limits", "memory") }
        case "limits.ephemeral-storage": return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "limits", "ephemeral-storage") }
        case "requests.storage":
            return objects(.persistentVolumeClaims).reduce(QuotaQuantity.zero) { sum, claim in
                sum + (claim[path: ["spec", "resources", "requests", "storage"]]?.string.flatMap(QuotaQuantity.init) ?? .zero)
            }
        case "services.loadbalancers":
            return QuotaQuantity(count: objects(.services).filter { $0[path: ["spec", "type"]]?.string == "LoadBalancer" }.count)
        case "services.nodeports":
            // Each node port of a NodePort or LoadBalancer Service counts.
            let ports = objects(.services).reduce(0) { total, service in
                total + (service[path: ["spec", "ports"]]?.array ?? []).filter { $0["nodePort"]?.int != nil }.count
            }
            return QuotaQuantity(count: ports)
        default:
            if resource.hasSuffix(".storageclass.storage.k8s.io/requests.storage") {
                let className = String(resource.dropLast(".storageclass.storage.k8s.io/requests.storage".count))
                return objects(.persistentVolumeClaims).filter { $0[path: ["spec", "storageClassName"]]?.string == className }
                    .reduce(QuotaQuantity.zero) { $0 + ($1[path: ["spec", "resources", "requests", "storage"]]?.string.flatMap(QuotaQuantity.init) ?? .zero) }
            }
            if resource.hasSuffix(".storageclass.storage.k8s.io/persistentvolumeclaims") {
                let className = String(resource.dropLast(".storageclass.storage.k8s.io/persistentvolumeclaims".count))
                return QuotaQuantity(count: objects(.persistentVolumeClaims)
                    .filter { $0[path: ["spec", "storageClassName"]]?.string == className }.count)
            }
            return nil
        }
    }

    /// Quota scopes on pods (Terminating, NotTerminating, BestEffort, NotBestEffort); other scopes match nothing
    /// here, so a quota using them shows zero.
    static func podMatchesScopes(_ pod: JSONValue, _ scopes: [String]) -> Bool {
        scopes.allSatisfy { scope in
            let terminating = pod[path: ["spec", "activeDeadlineSeconds"]]?.int.map { $0 >= 0 } ?? false
            let bestEffort = (pod[path: ["spec", "containers"]]?.array ?? []).allSatisfy {
                ($0[path: ["resources", "requests"]]?.object ?? [:]).isEmpty && ($0[path: ["resources", "limits"]]?.object ?? [:]).isEmpty
            }
            switch scope {
            case "Terminating": return terminating
            case "NotTerminating": return !terminating
            case "BestEffort": return bestEffort
            case "NotBestEffort": return !bestEffort
            default: return false
            }
        }
    }
}
