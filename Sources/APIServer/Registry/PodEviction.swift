import KubeAPI
import KubeJSON
import KubeStorage

/// The `pods/eviction` subresource (what `kubectl drain` posts): a delete that first asks the pod's
/// PodDisruptionBudget, as upstream's EvictionREST. A pod that is not running yet, has finished or is already being
/// deleted goes at once; a pod covered by one budget goes only while the budget allows a disruption, which the eviction
/// takes (`disruptionsAllowed` lowered, the pod recorded in `disruptedPods` for the disruption controller to confirm)
/// before the delete; otherwise 429, which kubectl retries.
enum PodEviction {
    /// upstream's MaxDisruptedPodSize: evictions the disruption controller has not confirmed yet, per budget.
    static let maxDisruptedPods = 2000
    static let pods = GroupResource(group: "", resource: "pods")
    static let violation = "Cannot evict pod as it would violate the pod's disruption budget."

    struct Request {
        var namespace: String
        var name: String
        var options: DeleteOptions
        var dryRun: Bool
    }

    /// Reads an Eviction body (policy/v1 or v1beta1) for the pod named in the URL.
    static func request(_ body: JSONValue, namespace: String, name: String) throws -> Request {
        if let named = body[path: ["metadata", "name"]]?.string, named != name {
            throw StatusError.badRequest("name in URL does not match name in Eviction object")
        }
        if let inBody = body[path: ["metadata", "namespace"]]?.string, !inBody.isEmpty, inBody != namespace {
            throw StatusError.badRequest("namespace in URL does not match namespace in Eviction object")
        }
        let json = body["deleteOptions"] ?? .emptyObject
        return Request(namespace: namespace, name: name, options: DeleteOptions(json: json),
                       dryRun: json["dryRun"]?.array?.contains("All") ?? false)
    }

    static func evict(_ request: Request, pods store: GenericStore, budgets: GenericStore?, context: RequestContext) async throws {
        // A budget's status is written with its revision as precondition; a concurrent eviction makes it read again.
        for _ in 0..<8 {
            let pod = try await store.get(namespace: request.namespace, name: request.name)
            guard let budgets, !canIgnoreBudget(pod) else {
                return try await delete(request, store: store, context: context)
            }
            let matching = try await covering(pod, budgets: budgets, namespace: request.namespace)
            if matching.count > 1 {
                throw StatusError.internalError("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
            }
            guard let (budget, revision) = matching.first else {
                return try await delete(request, store: store, context: context)
            }
            if !isReady(pod), unhealthyMayGo(budget) {
                return try await delete(request, store: store, context: context)
            }
            let updated = try take(budget, for: pod)
            if request.dryRun { return }
            do {
                _ = try await budgets.storage.update(budgets.definition.key(namespace: request.namespace, name: budget.metaName),
                                                     value: budgets.encode(updated), expectedModRevision: revision)
            } catch StorageError.conflict {
                continue
            }
            return try await delete(request, store: store, context: context)
        }
        throw StatusError.conflict(pods, request.name, StatusError.optimisticLockMessage)
    }

    /// upstream's canIgnorePDB: such pods do not count towards a budget's healthy pods.
    static func canIgnoreBudget(_ pod: JSONValue) -> Bool {
        let phase = pod[path: ["status", "phase"]]?.string ?? ""
        return ["Succeeded", "Failed", "Pending"].contains(phase) || pod.metaDeletionTimestamp != nil
    }

    static func isReady(_ pod: JSONValue) -> Bool {
        (pod[path: ["status", "conditions"]]?.array ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
    }

    /// `unhealthyPodEvictionPolicy`: AlwaysAllow lets a not-ready pod go; IfHealthyBudget (the default) only while the
    /// budget's healthy pods are enough without it.
    static func unhealthyMayGo(_ budget: JSONValue) -> Bool {
        if budget[path: ["spec", "unhealthyPodEvictionPolicy"]]?.string == "AlwaysAllow" { return true }
        let current = budget[path: ["status", "currentHealthy"]]?.int ?? 0
        let desired = budget[path: ["status", "desiredHealthy"]]?.int ?? 0
        return desired > 0 && current >= desired
    }

    /// The budgets whose selector matches the pod; an empty selector matches nothing here, as upstream's eviction.
    static func covering(_ pod: JSONValue, budgets: GenericStore, namespace: String) async throws -> [(JSONValue, Int64)] {
        let key = budgets.definition.prefix(namespace: namespace)
        let labels = pod[path: ["metadata", "labels"]]?.stringMap ?? [:]
        var found: [(JSONValue, Int64)] = []
        for kv in try await budgets.storage.range(prefix: key, startAfter: nil, limit: 0).kvs {
            guard let budget = try? budgets.decode(kv), let json = budget[path: ["spec", "selector"]],
                  let selector = (try? LabelSelector(json: json))?.asSelector(), !selector.isEmpty, selector.matches(labels) else { continue }
            found.append((budget, kv.modRevision))
        }
        return found
    }

    /// upstream's checkAndDecrement: the budget with one disruption taken and the pod recorded, or the refusal.
    static func take(_ budget: JSONValue, for pod: JSONValue) throws -> JSONValue {
        let name = budget.metaName
        if (budget[path: ["status", "observedGeneration"]]?.int ?? 0) < (budget[path: ["metadata", "generation"]]?.int ?? 0) {
            throw refusal("The disruption budget \(name) is still being processed by the server.")
        }
        let allowed = budget[path: ["status", "disruptionsAllowed"]]?.int ?? 0
        if allowed < 0 { throw StatusError.forbidden("pdb disruptions allowed is negative") }
        var disrupted = budget[path: ["status", "disruptedPods"]]?.object ?? [:]
        if disrupted.count > maxDisruptedPods {
            throw StatusError.forbidden("DisruptedPods map too big - too many evictions not confirmed by PDB controller")
        }
        if allowed == 0 {
            let desired = budget[path: ["status", "desiredHealthy"]]?.int ?? 0
            let current = budget[path: ["status", "currentHealthy"]]?.int ?? 0
            throw refusal("The disruption budget \(name) needs \(desired) healthy pods and has \(current) currently")
        }
        var updated = budget
        updated[path: ["status", "disruptionsAllowed"]] = .int(allowed - 1)
        disrupted[pod.metaName] = .string(Timestamp.format(Timestamp.now()))
        updated[path: ["status", "disruptedPods"]] = .object(disrupted)
        if allowed - 1 == 0 {
            var conditions = (updated[path: ["status", "conditions"]]?.array ?? []).filter { $0["type"] != "DisruptionAllowed" }
            conditions.append(["type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "message": "",
                               "observedGeneration": .int(budget[path: ["status", "observedGeneration"]]?.int ?? 0),
                               "lastTransitionTime": .string(Timestamp.format(Timestamp.now()))])
            updated[path: ["status", "conditions"]] = .array(conditions)
        }
        return updated
    }

    /// 429 TooManyRequests with the DisruptionBudget cause, as upstream words it; kubectl drain retries after 5 s.
    static func refusal(_ cause: String) -> StatusError {
        StatusError(code: 429, reason: "TooManyRequests", message: violation,
                    details: ["causes": [["reason": "DisruptionBudget", "message": .string(cause)]]])
    }

    static func delete(_ request: Request, store: GenericStore, context: RequestContext) async throws {
        if request.dryRun { return }
        _ = try await store.delete(namespace: request.namespace, name: request.name, options: request.options, context: context)
    }
}
