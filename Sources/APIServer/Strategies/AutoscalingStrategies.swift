import KubeAPI
import KubeJSON

/// autoscaling HorizontalPodAutoscalers, stored as autoscaling/v2 (as upstream) and served as v2 and v1. Defaults and
/// validation as upstream's: minReplicas 1, a CPU target of 80% average utilization when no metric is given, a
/// scale target with kind and name, 1 ≤ minReplicas ≤ maxReplicas.
struct HorizontalPodAutoscalerStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }
    /// "v1" validates `targetCPUUtilizationPercentage`; "v2" `metrics`.
    let version: String

    func applyDefaults(_ object: inout JSONValue) {
        if object[path: ["spec", "minReplicas"]] == nil || object[path: ["spec", "minReplicas"]] == .null {
            object[path: ["spec", "minReplicas"]] = 1
        }
        if version == "v2", (object[path: ["spec", "metrics"]]?.array ?? []).isEmpty {
            object[path: ["spec", "metrics"]] = [HorizontalPodAutoscalerConversion.cpuMetric(80)]
        }
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        for field in ["kind", "name"] where (object[path: ["spec", "scaleTargetRef", field]]?.string ?? "").isEmpty {
            errors.append(.required("spec.scaleTargetRef.\(field)"))
        }
        let min = object[path: ["spec", "minReplicas"]]?.int ?? 1
        let max = object[path: ["spec", "maxReplicas"]]?.int ?? 0
        if min < 1 { errors.append(.invalid("spec.minReplicas", number: min, "must be greater than or equal to 1")) }
        if max < 1 { errors.append(.invalid("spec.maxReplicas", number: max, "must be greater than 0")) }
        if max < min { errors.append(.invalid("spec.maxReplicas", number: max, "must be greater than or equal to `minReplicas`")) }
        if version == "v1", let target = object[path: ["spec", "targetCPUUtilizationPercentage"]]?.int, target < 1 {
            errors.append(.invalid("spec.targetCPUUtilizationPercentage", number: target, "must be greater than 0"))
        }
        let types = ["ContainerResource", "External", "Object", "Pods", "Resource"]
        for (i, metric) in (object[path: ["spec", "metrics"]]?.array ?? []).enumerated() {
            let type = metric["type"]?.string ?? ""
            if type.isEmpty {
                errors.append(.required("spec.metrics[\(i)].type", "must specify a metric source type"))
            } else if !types.contains(type) {
                errors.append(.notSupported("spec.metrics[\(i)].type", type, types))
            } else {
                let field = type.prefix(1).lowercased() + type.dropFirst()
                if metric[field] == nil || metric[field] == .null {
                    errors.append(.required("spec.metrics[\(i)].\(field)", "must populate information for the given metric source"))
                }
            }
        }
        return errors
    }
}

/// autoscaling/v1 ↔ the stored autoscaling/v2 form: v1's CPU target is v2's Resource cpu Utilization metric; what v1
/// cannot hold (other metrics, behavior, conditions) travels in upstream's `autoscaling.alpha.kubernetes.io/*`
/// annotations so a v1 client's update keeps it.
struct HorizontalPodAutoscalerConversion: StorageConversion {
    static let metricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics"
    static let currentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics"
    static let behaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior"
    static let conditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions"

    static func cpuMetric(_ utilization: Int64) -> JSONValue {
        ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": .int(utilization)]]]
    }

    static func isCPUUtilization(_ metric: JSONValue) -> Bool {
        metric["type"] == "Resource" && metric[path: ["resource", "name"]] == "cpu"
            && metric[path: ["resource", "target", "type"]] == "Utilization"
    }

    func toStorage(_ object: JSONValue) -> JSONValue {
        var v2 = object
        v2["apiVersion"] = "autoscaling/v2"
        var annotations = object[path: ["metadata", "annotations"]]?.object ?? [:]
        func take(_ key: String) -> JSONValue? {
            defer { annotations[key] = nil }
            return annotations[key]?.string.flatMap { try? JSONParser.parse(Array($0.utf8)) }
        }
        var metrics = take(Self.metricsAnnotation)?.array ?? []
        if let target = object[path: ["spec", "targetCPUUtilizationPercentage"]]?.int { metrics.insert(Self.cpuMetric(target), at: 0) }
        v2[path: ["spec", "targetCPUUtilizationPercentage"]] = nil
        v2[path: ["spec", "metrics"]] = metrics.isEmpty ? [Self.cpuMetric(80)] : .array(metrics)
        if let behavior = take(Self.behaviorAnnotation) { v2[path: ["spec", "behavior"]] = behavior }
        var current = take(Self.currentMetricsAnnotation)?.array ?? []
        if let utilization = object[path: ["status", "currentCPUUtilizationPercentage"]]?.int {
            current.insert(["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": .int(utilization)]]], at: 0)
        }
        if object["status"] != nil {
            v2[path: ["status", "currentCPUUtilizationPercentage"]] = nil
            if !current.isEmpty { v2[path: ["status", "currentMetrics"]] = .array(current) }
            if let conditions = take(Self.conditionsAnnotation) { v2[path: ["status", "conditions"]] = conditions }
        }
        v2[path: ["metadata", "annotations"]] = annotations.isEmpty ? nil : .object(annotations)
        return v2
    }

    func fromStorage(_ object: JSONValue) -> JSONValue {
        var v1 = object
        v1["apiVersion"] = "autoscaling/v1"
        var annotations = object[path: ["metadata", "annotations"]]?.object ?? [:]
        func put(_ key: String, _ value: JSONValue?) {
            guard let value, value != .null, value != [] else { return }
            annotations[key] = .string(String(decoding: JSONWriter.write(value), as: UTF8.self))
        }
        let metrics = object[path: ["spec", "metrics"]]?.array ?? []
        if let cpu = metrics.first(where: Self.isCPUUtilization) {
            v1[path: ["spec", "targetCPUUtilizationPercentage"]] = cpu[path: ["resource", "target", "averageUtilization"]]
        }
        put(Self.metricsAnnotation, .array(metrics.filter { !Self.isCPUUtilization($0) }))
        v1[path: ["spec", "metrics"]] = nil
        put(Self.behaviorAnnotation, object[path: ["spec", "behavior"]])
        v1[path: ["spec", "behavior"]] = nil
        if object["status"] != nil {
            let current = object[path: ["status", "currentMetrics"]]?.array ?? []
            let isCPU = { (m: JSONValue) in m["type"] == "Resource" && m[path: ["resource", "name"]] == "cpu" }
            if let cpu = current.first(where: isCPU)?[path: ["resource", "current", "averageUtilization"]] {
                v1[path: ["status", "currentCPUUtilizationPercentage"]] = cpu
            }
            put(Self.currentMetricsAnnotation, .array(current.filter { !isCPU($0) }))
            put(Self.conditionsAnnotation, object[path: ["status", "conditions"]])
            v1[path: ["status", "currentMetrics"]] = nil
            v1[path: ["status", "conditions"]] = nil
        }
        v1[path: ["metadata", "annotations"]] = annotations.isEmpty ? nil : .object(annotations)
        return v1
    }
}
