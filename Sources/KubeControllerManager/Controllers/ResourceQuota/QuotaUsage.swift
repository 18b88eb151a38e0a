import ControllerRuntime
import KubeAPI
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
    static func podCounts(_ pod: QuotaPod, now: Double) -> Bool {
        if pod.isTerminal { return false }
        if let deletion = pod.deletionTimestamp.flatMap({ SystemClock.parse($0) }), let grace = pod.deletionGracePeriodSeconds,
           now > deletion + Double(grace) { return false }
        return true
    }

    /// The pod's requests or limits of one resource: the larger of its containers' sum and any init container's,
    /// plus the pod overhead (PodRequests/PodLimits).
    static func podResource(_ pod: QuotaPod, _ kind: String, _ resource: String) -> QuotaQuantity {
        func value(_ container: QuotaPod.QuotaContainer) -> QuotaQuantity {
            let resources = container.resources
            var quantity = kind == "requests" ? resources?.requests?[resource] : resources?.limits?[resource]
            // A limit without a request is the request (the apiserver defaults it so; objects written before may lack it).
            if quantity == nil, kind == "requests" { quantity = resources?.limits?[resource] }
            return quantity.flatMap { QuotaQuantity($0.text) } ?? .zero
        }
        var sum = QuotaQuantity.zero
        for container in pod.containers { sum = sum + value(container) }
        for container in pod.initContainers { sum = QuotaQuantity.max(sum, value(container)) }
        if let overhead = pod.overhead[resource].flatMap({ QuotaQuantity($0.text) }) { sum = sum + overhead }
        return sum
    }

    /// The storage a claim requests.
    static func requestedStorage(_ claim: PersistentVolumeClaim) -> QuotaQuantity {
        claim.spec.resources.requests?["storage"].flatMap { QuotaQuantity($0.text) } ?? .zero
    }

    /// The namespace's objects of a kind, typed; one that does not decode stops the count (`UndecodableObject`).
    static func typed<T: Decodable>(_ objects: [JSONValue], as type: T.Type, kind: String) throws -> [T] {
        try objects.map { json in
            do {
                return try T(json: json)
            } catch {
                throw UndecodableObject(kind: kind, namespace: json.metaNamespace, name: json.metaName, error: error)
            }
        }
    }

    /// Usage of `resource` in a namespace, nil for a resource this controller does not count (left out of used).
    static func usage(of resource: String, pods: [QuotaPod], objects: (ResourceType) -> [JSONValue], now: Double) throws -> QuotaQuantity? {
        if let type = countedTypes.first(where: { countName($0) == resource }) {
            return QuotaQuantity(count: type == .pods ? pods.filter { podCounts($0, now: now) }.count : objects(type).count)
        }
        if let type = plainCounts[resource] {
            return QuotaQuantity(count: type == .pods ? pods.filter { podCounts($0, now: now) }.count : objects(type).count)
        }
        let live = pods.filter { podCounts($0, now: now) }
        func claims() throws -> [PersistentVolumeClaim] {
            try typed(objects(.persistentVolumeClaims), as: PersistentVolumeClaim.self, kind: "PersistentVolumeClaim")
        }
        func services() throws -> [QuotaService] { try typed(objects(.services), as: QuotaService.self, kind: "Service") }
        switch resource {
        case "cpu", "requests.cpu": return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "requests", "cpu") }
        case "memory", "requests.memory": return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "requests", "memory") }
        case "ephemeral-storage", "requests.ephemeral-storage":
            return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "requests", "ephemeral-storage") }
        case "limits.cpu": return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "limits", "cpu") }
        case "limits.memory": return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "limits", "memory") }
        case "limits.ephemeral-storage": return live.reduce(QuotaQuantity.zero) { $0 + podResource($1, "limits", "ephemeral-storage") }
        case "requests.storage":
            return try claims().reduce(QuotaQuantity.zero) { $0 + requestedStorage($1) }
        case "services.loadbalancers":
            return QuotaQuantity(count: try services().filter { $0.spec?.type == "LoadBalancer" }.count)
        case "services.nodeports":
            // Each node port of a NodePort or LoadBalancer Service counts.
            let ports = try services().reduce(0) { total, service in
                total + (service.spec?.ports ?? []).filter { $0.nodePort != nil }.count
            }
            return QuotaQuantity(count: ports)
        default:
            if resource.hasSuffix(".storageclass.storage.k8s.io/requests.storage") {
                let className = String(resource.dropLast(".storageclass.storage.k8s.io/requests.storage".count))
                return try claims().filter { $0.spec.storageClassName == className }.reduce(QuotaQuantity.zero) { $0 + requestedStorage($1) }
            }
            if resource.hasSuffix(".storageclass.storage.k8s.io/persistentvolumeclaims") {
                let className = String(resource.dropLast(".storageclass.storage.k8s.io/persistentvolumeclaims".count))
                return QuotaQuantity(count: try claims().filter { $0.spec.storageClassName == className }.count)
            }
            return nil
        }
    }

    /// Quota scopes on pods (Terminating, NotTerminating, BestEffort, NotBestEffort); other scopes match nothing
    /// here, so a quota using them shows zero.
    static func podMatchesScopes(_ pod: QuotaPod, _ scopes: [String]) -> Bool {
        scopes.allSatisfy { scope in
            let terminating = pod.activeDeadlineSeconds.map { $0 >= 0 } ?? false
            let bestEffort = pod.containers.allSatisfy { ($0.resources?.requests ?? [:]).isEmpty && ($0.resources?.limits ?? [:]).isEmpty }
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
