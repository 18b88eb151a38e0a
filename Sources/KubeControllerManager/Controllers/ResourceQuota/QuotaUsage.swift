import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// What each quota resource name counts over a namespace's objects from the caches, with the evaluators the quota
/// admission plugin charges by (KubeAPI's QuotaEvaluation).
enum QuotaUsage {
    /// `count/<resource>[.<group>]` resources this controller follows, and the plain names of the core ones.
    static let countedTypes: [ResourceType] = [.pods, .services, .configMaps, .secrets, .persistentVolumeClaims,
                                               .replicationControllers, .resourceQuotas,
                                               .replicaSets, .deployments, .statefulSets, .daemonSets, .jobs, .cronJobs]
    static let plainCounts: [String: ResourceType] = Dictionary(uniqueKeysWithValues: countedTypes
        .filter { $0.group.isEmpty && QuotaEvaluation.legacyCounted.contains($0.resource) }.map { ($0.resource, $0) })

    static func countName(_ type: ResourceType) -> String { QuotaEvaluation.countName(resource: type.resource, group: type.group) }

    /// QuotaV1Pod: a pod counts until it terminates or its deletion grace has run out.
    static func podCounts(_ pod: QuotaPod, now: Double) -> Bool {
        if pod.isTerminal { return false }
        if let deletion = pod.deletionTimestamp.flatMap({ SystemClock.parse($0) }), let grace = pod.deletionGracePeriodSeconds,
           now > deletion + Double(grace) { return false }
        return true
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

    /// A pod from the cache, or `UndecodableObject` naming it.
    static func pod(_ json: JSONValue) throws -> QuotaPod {
        do { return try QuotaPod(json) } catch {
            throw UndecodableObject(kind: "Pod", namespace: json.metaNamespace, name: json.metaName, error: error)
        }
    }

    /// Usage of `resource` in a namespace, nil for a resource this controller does not count (left out of used).
    static func usage(of resource: String, pods: [QuotaPod], objects: (ResourceType) -> [JSONValue], now: Double) throws -> QuotaQuantity? {
        if let type = countedTypes.first(where: { countName($0) == resource }) ?? plainCounts[resource] {
            return QuotaQuantity(count: type == .pods ? pods.filter { podCounts($0, now: now) }.count : objects(type).count)
        }
        let live = pods.filter { podCounts($0, now: now) }
        func claims() throws -> [PersistentVolumeClaim] {
            try typed(objects(.persistentVolumeClaims), as: PersistentVolumeClaim.self, kind: "PersistentVolumeClaim")
        }
        func services() throws -> [QuotaService] { try typed(objects(.services), as: QuotaService.self, kind: "Service") }
        func podSum(_ kind: String, _ name: String) -> QuotaQuantity {
            live.reduce(QuotaQuantity.zero) { $0 + QuotaEvaluation.podResource($1, kind, name) }
        }
        switch resource {
        case "cpu", "memory", "ephemeral-storage": return podSum("requests", resource)
        case "requests.storage":
            return try claims().reduce(QuotaQuantity.zero) { $0 + QuotaEvaluation.requestedStorage($1) }
        case "services.loadbalancers":
            return QuotaQuantity(count: try services().filter { $0.spec?.type == "LoadBalancer" }.count)
        case "services.nodeports":
            // Each port of a NodePort or LoadBalancer Service counts, as the admission plugin charges it.
            let ports = try services().reduce(0) { total, service in
                let type = service.spec?.type ?? "ClusterIP"
                return total + (type == "NodePort" || type == "LoadBalancer" ? (service.spec?.ports ?? []).count : 0)
            }
            return QuotaQuantity(count: ports)
        default:
            for kind in ["requests", "limits"] where resource.hasPrefix(kind + ".") {
                return podSum(kind, String(resource.dropFirst(kind.count + 1)))
            }
            if resource.hasSuffix(".storageclass.storage.k8s.io/requests.storage") {
                let className = String(resource.dropLast(".storageclass.storage.k8s.io/requests.storage".count))
                return try claims().filter { $0.spec.storageClassName == className }
                    .reduce(QuotaQuantity.zero) { $0 + QuotaEvaluation.requestedStorage($1) }
            }
            if resource.hasSuffix(".storageclass.storage.k8s.io/persistentvolumeclaims") {
                let className = String(resource.dropLast(".storageclass.storage.k8s.io/persistentvolumeclaims".count))
                return QuotaQuantity(count: try claims().filter { $0.spec.storageClassName == className }.count)
            }
            return nil
        }
    }
}
