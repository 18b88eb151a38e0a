import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// A namespace's usage as the sum of what each object uses, by the same evaluators quota admission charges with
/// (KubeAPI's QuotaEvaluation), as upstream's controller sums its evaluators' Usage over the listed objects.
enum QuotaUsage {
    /// The kinds this controller follows with informers.
    static let countedTypes: [ResourceType] = [.pods, .services, .configMaps, .secrets, .persistentVolumeClaims,
                                               .replicationControllers, .resourceQuotas,
                                               .replicaSets, .deployments, .statefulSets, .daemonSets, .jobs, .cronJobs]

    /// QuotaV1Pod: a pod counts until it terminates or its deletion grace has run out.
    static func podCounts(_ pod: QuotaPod, now: Double) -> Bool {
        if pod.isTerminal { return false }
        if let deletion = pod.deletionTimestamp.flatMap({ SystemClock.parse($0) }), let grace = pod.deletionGracePeriodSeconds,
           now > deletion + Double(grace) { return false }
        return true
    }

    /// A pod from the cache, or `UndecodableObject` naming it.
    static func pod(_ json: JSONValue) throws -> QuotaPod {
        do { return try QuotaPod(json) } catch {
            throw UndecodableObject(kind: "Pod", namespace: json.metaNamespace, name: json.metaName, error: error)
        }
    }

    /// Whether a quota resource name is one of the resources `type`'s evaluator reports (a zero when none is used).
    static func tracks(_ name: String, _ type: ResourceType) -> Bool {
        if name == QuotaEvaluation.countName(resource: type.resource, group: type.group) { return true }
        guard type.group.isEmpty else { return false }
        if name == type.resource, QuotaEvaluation.legacyCounted.contains(name) { return true }
        switch type.resource {
        case "pods":
            return ["cpu", "memory", "ephemeral-storage"].contains(name) || name.hasPrefix("requests.") && name != "requests.storage"
                || name.hasPrefix("limits.")
        case "services": return name == "services.loadbalancers" || name == "services.nodeports"
        case "persistentvolumeclaims":
            return name == "requests.storage" || name.hasSuffix(".storageclass.storage.k8s.io/requests.storage")
                || name.hasSuffix(".storageclass.storage.k8s.io/persistentvolumeclaims")
        default: return false
        }
    }

    /// Usage of the `hard` names this controller tracks: live pods matching the quota's scopes, and (for an unscoped
    /// quota: scopes narrow pods only) every object of the other followed kinds. Names no followed kind reports are
    /// left out. Objects of a kind no hard name concerns are not read.
    static func used(hard: Set<String>, pods: [QuotaPod], objects: (ResourceType) -> [JSONValue], scoped: Bool, now: Double) throws
        -> [String: QuotaQuantity] {
        var total: [String: QuotaQuantity] = [:]
        func add(_ usage: [String: QuotaQuantity]) {
            for (name, amount) in usage where hard.contains(name) { total[name] = (total[name] ?? .zero) + amount }
        }
        var tracked = Set<String>()
        for type in countedTypes where type == .pods || !scoped {
            let concerned = hard.filter { tracks($0, type) }
            guard !concerned.isEmpty else { continue }
            tracked.formUnion(concerned)
            if type == .pods {
                for pod in pods where podCounts(pod, now: now) { add(QuotaEvaluation.podUsage(pod)) }
                continue
            }
            for json in objects(type) {
                do {
                    add(try QuotaEvaluation.usage(of: json, resource: type.resource, group: type.group))
                } catch {
                    throw UndecodableObject(kind: type.kind, namespace: json.metaNamespace, name: json.metaName, error: error)
                }
            }
        }
        for name in tracked where total[name] == nil { total[name] = .zero }
        return total
    }
}
