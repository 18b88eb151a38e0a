import KubeJSON

/// What one object adds to a quota (upstream's evaluators in pkg/quota/v1/evaluator/core and the generic
/// object-count evaluator), and which quotas a pod falls under. The quota admission plugin charges this on create;
/// the resourcequota controller sums it over a namespace.
public enum QuotaEvaluation {
    /// The name an object count has in a quota: `count/configmaps`, `count/deployments.apps`.
    public static func countName(resource: String, group: String) -> String {
        group.isEmpty ? "count/\(resource)" : "count/\(resource).\(group)"
    }

    /// core/v1 kinds whose plain name (`configmaps`) is also an object count, as upstream kept from before `count/`.
    public static let legacyCounted: Set<String> = ["pods", "services", "configmaps", "secrets", "replicationcontrollers",
                                                    "resourcequotas", "persistentvolumeclaims"]

    /// Resources whose request a quota on cpu or memory requires every container to state (upstream's
    /// backward-compatible pod constraint).
    static let podValidationSet: Set<String> = ["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]

    /// The usage an object of `resource` (group `group`) adds; pods, services and claims with their own resources.
    public static func usage(of object: JSONValue, resource: String, group: String) throws -> [String: QuotaQuantity] {
        var usage: [String: QuotaQuantity] = [:]
        let one = QuotaQuantity(count: 1)
        if group.isEmpty, resource == "pods" {
            let pod = try QuotaPod(object)
            if pod.isTerminal { return [:] }
            usage = podUsage(pod)
        }
        usage[countName(resource: resource, group: group)] = one
        if group.isEmpty, legacyCounted.contains(resource) { usage[resource] = one }
        if group.isEmpty, resource == "services" {
            let service = try QuotaService(json: object)
            let type = service.spec?.type ?? "ClusterIP"
            if type == "LoadBalancer" { usage["services.loadbalancers"] = one }
            if type == "NodePort" || type == "LoadBalancer" {
                usage["services.nodeports"] = QuotaQuantity(count: service.spec?.ports?.count ?? 0)
            }
        }
        if group.isEmpty, resource == "persistentvolumeclaims" {
            let claim = try PersistentVolumeClaim(json: object)
            let storage = requestedStorage(claim)
            usage["requests.storage"] = storage
            if let className = claim.spec.storageClassName, !className.isEmpty {
                usage["\(className).storageclass.storage.k8s.io/requests.storage"] = storage
                usage["\(className).storageclass.storage.k8s.io/persistentvolumeclaims"] = one
            }
        }
        return usage
    }

    /// The storage a claim requests.
    public static func requestedStorage(_ claim: PersistentVolumeClaim) -> QuotaQuantity {
        claim.spec.resources.requests?["storage"].flatMap { QuotaQuantity($0.text) } ?? .zero
    }

    /// A pod's compute usage: `pods`, `requests.<r>` and `limits.<r>`, and the plain cpu/memory/ephemeral-storage
    /// names for requests.
    public static func podUsage(_ pod: QuotaPod) -> [String: QuotaQuantity] {
        var usage: [String: QuotaQuantity] = ["pods": QuotaQuantity(count: 1), "count/pods": QuotaQuantity(count: 1)]
        let all = pod.containers + pod.initContainers
        for kind in ["requests", "limits"] {
            var names = Set<String>()
            for container in all {
                names.formUnion((kind == "requests" ? container.resources?.requests : container.resources?.limits)?.keys ?? [:].keys)
                if kind == "requests" { names.formUnion(container.resources?.limits?.keys ?? [:].keys) }
            }
            for name in names {
                let amount = podResource(pod, kind, name)
                usage["\(kind).\(name)"] = amount
                if kind == "requests", ["cpu", "memory", "ephemeral-storage"].contains(name) { usage[name] = amount }
            }
        }
        return usage
    }

    /// The pod's requests or limits of one resource: the larger of its containers' sum and any init container's,
    /// plus the pod overhead (PodRequests/PodLimits).
    public static func podResource(_ pod: QuotaPod, _ kind: String, _ resource: String) -> QuotaQuantity {
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

    /// The scope requirements of a quota: its `scopes` (each as Exists) and its `scopeSelector`'s expressions.
    public static func scopeRequirements(_ spec: ResourceQuotaSpec) -> [ScopedResourceSelectorRequirement] {
        (spec.scopes ?? []).map { ScopedResourceSelectorRequirement(scopeName: $0, operator: "Exists") }
            + (spec.scopeSelector?.matchExpressions ?? [])
    }

    /// Whether a pod falls under every scope requirement (upstream's podMatchesScopeFunc).
    public static func podMatches(_ pod: QuotaPod, _ requirements: [ScopedResourceSelectorRequirement]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement.scopeName {
            case "Terminating": return pod.isTerminating
            case "NotTerminating": return !pod.isTerminating
            case "BestEffort": return pod.isBestEffort
            case "NotBestEffort": return !pod.isBestEffort
            case "PriorityClass":
                let values = requirement.values ?? []
                switch requirement.operator {
                case "Exists": return !pod.priorityClassName.isEmpty
                case "DoesNotExist": return pod.priorityClassName.isEmpty
                case "In": return values.contains(pod.priorityClassName)
                case "NotIn": return !values.contains(pod.priorityClassName)
                default: return false
                }
            default: return false
            }
        }
    }

    /// Upstream's pod constraint: a quota on cpu or memory (requests or limits) needs every container to state that
    /// resource; nil when satisfied, else `must specify limits.cpu for: app; limits.memory for: app`.
    public static func podConstraintViolation(required: Set<String>, pod: QuotaPod) -> String? {
        let wanted = required.intersection(podValidationSet)
        guard !wanted.isEmpty else { return nil }
        var missing: [String: Set<String>] = [:]
        for container in pod.containers + pod.initContainers {
            var stated = Set<String>()
            for name in (container.resources?.requests ?? [:]).keys where ["cpu", "memory"].contains(name) {
                stated.insert(name)
                stated.insert("requests.\(name)")
            }
            for name in (container.resources?.limits ?? [:]).keys where ["cpu", "memory"].contains(name) {
                stated.insert("limits.\(name)")
            }
            for name in wanted.subtracting(stated) { missing[name, default: []].insert(container.name ?? "") }
        }
        guard !missing.isEmpty else { return nil }
        let parts = missing.keys.sorted().map { "\($0) for: \((missing[$0] ?? []).sorted().joined(separator: ","))" }
        return "must specify " + parts.joined(separator: "; ")
    }

    /// `a=1,b=2` sorted by name, as upstream prints resource lists in quota errors.
    public static func prettyPrint(_ list: [String: QuotaQuantity]) -> String {
        list.keys.sorted().map { "\($0)=\(list[$0]?.text ?? "0")" }.joined(separator: ",")
    }
}
