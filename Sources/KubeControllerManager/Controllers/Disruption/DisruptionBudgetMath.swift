import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

extension DisruptionController {
    /// An intstr.IntOrString of a PDB: a whole number or a percentage.
    enum IntOrPercent {
        case int(Int)
        case percent(Int)

        init?(_ value: IntOrString) {
            switch value {
            case .string(let text) where text.hasSuffix("%"):
                guard let value = Int(text.dropLast()), value >= 0 else { return nil }
                self = .percent(min(value, 100_000))
            case .string(let text):
                // A number written as a string is what intstr.Parse makes of it.
                guard let value = Int(text) else { return nil }
                self = .int(max(0, min(value, Int(Int32.max))))
            case .int(let number):
                self = .int(max(0, min(number, Int(Int32.max))))
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
    func expectedAndDesired(_ spec: PodDisruptionBudgetSpec, _ matching: [BudgetPod]) throws -> (expected: Int, desired: Int) {
        if let value = spec.maxUnavailable {
            guard let maxUnavailable = IntOrPercent(value) else {
                throw DisruptionError(message: "invalid maxUnavailable \(Self.goJSON(value))")
            }
            let expected = try expectedScale(matching)
            return (expected, max(0, expected - maxUnavailable.scaled(expected)))
        }
        if let value = spec.minAvailable {
            guard let minAvailable = IntOrPercent(value) else {
                throw DisruptionError(message: "invalid minAvailable \(Self.goJSON(value))")
            }
            if case .int(let value) = minAvailable { return (matching.count, value) }
            let expected = try expectedScale(matching)
            return (expected, minAvailable.scaled(expected))
        }
        return (matching.count, 0)
    }

    /// The value as the message has always shown it (the JSON it was stored as).
    static func goJSON(_ value: IntOrString) -> String {
        switch value {
        case .int(let number): return "\(JSONValue.int(Int64(number)))"
        case .string(let text): return "\(JSONValue.string(text))"
        }
    }

    /// The sum of the distinct controllers' `spec.replicas` (finders of upstream's getExpectedScale).
    func expectedScale(_ matching: [BudgetPod]) throws -> Int {
        var scales: [String: Int] = [:]
        var unmanaged = 0
        for pod in matching {
            guard let scale = try controllerScale(of: pod) else {
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

    /// The scale of the pod's controller; an owner that does not decode stops the budget's sync (logged).
    private func controllerScale(of pod: BudgetPod) throws -> (uid: String, replicas: Int)? {
        guard let owner = pod.controllerRef else { return nil }
        switch (owner.kind, Self.group(owner)) {
        case ("ReplicaSet", "apps"):
            guard let json = replicaSets.cache.get(namespace: pod.namespace, name: owner.name), json.metaUID == owner.uid else { return nil }
            let rs = try Workloads.typed(json, as: ReplicaSet.self).object
            if let deploymentRef = rs.metadata.ownerReferences?.first(where: { $0.controller == true }),
               deploymentRef.kind == "Deployment", Self.group(deploymentRef) == "apps",
               let deployment = deployments.cache.get(namespace: pod.namespace, name: deploymentRef.name),
               deployment.metaUID == deploymentRef.uid {
                let replicas = try Workloads.typed(deployment, as: Deployment.self).object.spec.replicas
                return (deploymentRef.uid, max(0, Int(replicas ?? 1)))
            }
            return (owner.uid, max(0, Int(rs.spec.replicas ?? 1)))
        case ("StatefulSet", "apps"):
            guard let json = statefulSets.cache.get(namespace: pod.namespace, name: owner.name), json.metaUID == owner.uid else { return nil }
            return (owner.uid, max(0, Int(try Workloads.typed(json, as: StatefulSet.self).object.spec.replicas ?? 1)))
        default:
            return nil
        }
    }

    private static func group(_ ref: OwnerReference) -> String {
        ref.apiVersion.contains("/") ? String(ref.apiVersion.split(separator: "/").first ?? "") : ""
    }

    /// updatePdbStatus: disruptions are allowed only above the desired count and with pods expected; written only
    /// when something changed (the condition keeps its transition time while its status holds), as a merge of the
    /// fields this controller owns.
    func write(_ budget: Typed<PodDisruptionBudget>, _ counts: Counts, disrupted: [String: String], failure: String?) async throws {
        let allowed = failure == nil && counts.expectedPods > 0 ? max(0, counts.currentHealthy - counts.desiredHealthy) : 0
        let generation = budget.object.metadata.generation ?? 1
        var status = budget.object.status
        status.currentHealthy = Int32(clamping: counts.currentHealthy)
        status.desiredHealthy = Int32(clamping: counts.desiredHealthy)
        status.expectedPods = Int32(clamping: counts.expectedPods)
        status.disruptionsAllowed = Int32(clamping: allowed)
        status.observedGeneration = generation
        status.disruptedPods = disrupted.isEmpty ? nil : disrupted
        let condition: Condition
        if let failure {
            condition = Condition(type: "DisruptionAllowed", status: "False", observedGeneration: generation, reason: "SyncFailed", message: failure)
        } else if allowed > 0 {
            condition = Condition(type: "DisruptionAllowed", status: "True", observedGeneration: generation, reason: "SufficientPods")
        } else {
            condition = Condition(type: "DisruptionAllowed", status: "False", observedGeneration: generation, reason: "InsufficientPods")
        }
        var conditions = status.conditions ?? []
        conditions.setStatusCondition(condition, now: context.clock.timestamp())
        status.conditions = conditions
        guard status != budget.object.status || budget.json["status"] == nil else { return }
        do {
            _ = try await context.client.updateStatus(.podDisruptionBudgets, budget.modified { $0.status = status })
        } catch let error as APIError where error.isNotFound {}
    }
}
