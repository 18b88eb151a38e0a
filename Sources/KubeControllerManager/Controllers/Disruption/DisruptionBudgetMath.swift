import ControllerRuntime
import KubeClient
import KubeJSON

extension DisruptionController {
    /// An intstr.IntOrString of a PDB: a whole number or a percentage.
    enum IntOrPercent {
        case int(Int)
        case percent(Int)

        init?(_ json: JSONValue?) {
            switch json {
            case .string(let text)? where text.hasSuffix("%"):
                guard let value = Int(text.dropLast()), value >= 0 else { return nil }
                self = .percent(min(value, 100_000))
            case .string(let text)?:
                // A number written as a string is what intstr.Parse makes of it.
                guard let value = Int(text) else { return nil }
                self = .int(max(0, min(value, Int(Int32.max))))
            case let value?:
                guard let number = Lifecycle.int32(value) else { return nil }
                self = .int(max(0, number))
            case nil:
                return nil
            }
        }

        /// GetScaledValueFromIntOrPercent with rounding up.
        func scaled(_ total: Int) -> Int {
            switch self {
            case .int(let value): return value
            case .percent(let percent):
                let (product, overflow) = percent.multipliedReportingOverflow(by: total)
                return overflow ? Int(Int32.max) : product / 100 + (product % 100 == 0 ? 0 : 1)
            }
        }
    }

    /// getExpectedPodCount: with an integer minAvailable the matching pods are expected; otherwise the scale of
    /// their controllers (a Deployment through its ReplicaSet, a StatefulSet, a bare ReplicaSet), and a pod with no
    /// scalable owner counts as one.
    func expectedAndDesired(_ budget: JSONValue, _ matching: [JSONValue]) throws -> (expected: Int, desired: Int) {
        let spec = budget["spec"] ?? .emptyObject
        if spec["maxUnavailable"] != nil, spec["maxUnavailable"] != .null {
            guard let maxUnavailable = IntOrPercent(spec["maxUnavailable"]) else {
                throw DisruptionError(message: "invalid maxUnavailable \(spec["maxUnavailable"].map { "\($0)" } ?? "")")
            }
            let expected = expectedScale(matching)
            return (expected, max(0, expected - maxUnavailable.scaled(expected)))
        }
        if spec["minAvailable"] != nil, spec["minAvailable"] != .null {
            guard let minAvailable = IntOrPercent(spec["minAvailable"]) else {
                throw DisruptionError(message: "invalid minAvailable \(spec["minAvailable"].map { "\($0)" } ?? "")")
            }
            if case .int(let value) = minAvailable { return (matching.count, value) }
            let expected = expectedScale(matching)
            return (expected, minAvailable.scaled(expected))
        }
        return (matching.count, 0)
    }

    /// The sum of the distinct controllers' `spec.replicas` (finders of upstream's getExpectedScale).
    func expectedScale(_ matching: [JSONValue]) -> Int {
        var scales: [String: Int] = [:]
        var unmanaged = 0
        for pod in matching {
            guard let scale = controllerScale(of: pod) else {
                unmanaged += 1
                continue
            }
            scales[scale.uid] = scale.replicas
        }
        if unmanaged > 0 { context.logger.debug("\(unmanaged) pods without a scalable controller counted as one each") }
        return scales.values.reduce(unmanaged) { sum, replicas in
            let (total, overflow) = sum.addingReportingOverflow(replicas)
            return overflow ? Int(Int32.max) : total
        }
    }

    private func controllerScale(of pod: JSONValue) -> (uid: String, replicas: Int)? {
        guard let owner = controllerRef(pod) else { return nil }
        let namespace = Lifecycle.namespace(pod)
        switch (owner.kind, owner.group) {
        case ("ReplicaSet", "apps"):
            guard let rs = replicaSets.cache.get(namespace: namespace, name: owner.name), Lifecycle.uid(rs) == owner.uid else { return nil }
            if let deploymentRef = controllerRef(rs), deploymentRef.kind == "Deployment", deploymentRef.group == "apps",
               let deployment = deployments.cache.get(namespace: namespace, name: deploymentRef.name),
               Lifecycle.uid(deployment) == deploymentRef.uid {
                return (deploymentRef.uid, max(0, Lifecycle.int32(deployment[path: ["spec", "replicas"]]) ?? 1))
            }
            return (owner.uid, max(0, Lifecycle.int32(rs[path: ["spec", "replicas"]]) ?? 1))
        case ("StatefulSet", "apps"):
            guard let set = statefulSets.cache.get(namespace: namespace, name: owner.name), Lifecycle.uid(set) == owner.uid else { return nil }
            return (owner.uid, max(0, Lifecycle.int32(set[path: ["spec", "replicas"]]) ?? 1))
        default:
            return nil
        }
    }

    private func controllerRef(_ object: JSONValue) -> (kind: String, group: String, name: String, uid: String)? {
        guard let ref = object[path: ["metadata", "ownerReferences"]]?.array?.first(where: { $0["controller"]?.bool == true }),
              let kind = ref["kind"]?.string, let name = ref["name"]?.string, let uid = ref["uid"]?.string else { return nil }
        let apiVersion = ref["apiVersion"]?.string ?? ""
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/").first ?? "") : ""
        return (kind, group, name, uid)
    }

    /// updatePdbStatus: disruptions are allowed only above the desired count and with pods expected; written only
    /// when something changed (the condition keeps its transition time while its status holds).
    func write(_ budget: JSONValue, _ counts: Counts, disrupted: [String: String], failure: String?) async throws {
        let allowed = failure == nil && counts.expectedPods > 0 ? max(0, counts.currentHealthy - counts.desiredHealthy) : 0
        let generation = budget[path: ["metadata", "generation"]] ?? .int(1)
        var updated = budget
        var status: JSONValue = budget["status"] ?? .emptyObject
        status["currentHealthy"] = .int(Int64(counts.currentHealthy))
        status["desiredHealthy"] = .int(Int64(counts.desiredHealthy))
        status["expectedPods"] = .int(Int64(counts.expectedPods))
        status["disruptionsAllowed"] = .int(Int64(allowed))
        status["observedGeneration"] = generation
        status["disruptedPods"] = disrupted.isEmpty ? nil : JSONValue(disrupted)
        updated["status"] = status
        let condition: JSONValue
        if let failure {
            condition = ["type": "DisruptionAllowed", "status": "False", "reason": "SyncFailed", "message": .string(failure),
                         "observedGeneration": generation]
        } else if allowed > 0 {
            condition = ["type": "DisruptionAllowed", "status": "True", "reason": "SufficientPods", "message": "",
                         "observedGeneration": generation]
        } else {
            condition = ["type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "message": "",
                         "observedGeneration": generation]
        }
        Lifecycle.setCondition(&updated, condition, now: context.clock.timestamp())
        guard updated["status"] != budget["status"] else { return }
        do {
            _ = try await context.client.updateStatus(.podDisruptionBudgets, updated)
        } catch let error as APIError where error.isNotFound {}
    }
}
