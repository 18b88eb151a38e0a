// apps/v1 Deployments, ReplicaSets, StatefulSets and DaemonSets: defaults, validation and status rules on top of
// WorkloadStrategy.
import Foundation
import KubeAPI
import KubeJSON

struct DeploymentStrategy: WorkloadStrategy {
    var kindName: String { "deployment" }

    func validateSpec(_ object: JSONValue) -> [FieldError] {
        var errors = NumericValidation.nonNegative(object, ["spec"], ["minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"])
        if let deadline = object[path: ["spec", "progressDeadlineSeconds"]]?.int,
           deadline <= object[path: ["spec", "minReadySeconds"]]?.int ?? 0 {
            errors.append(.invalid("spec.progressDeadlineSeconds", number: deadline, "must be greater than minReadySeconds"))
        }
        switch object[path: ["spec", "strategy", "type"]]?.string {
        case "Recreate":
            if let rolling = object[path: ["spec", "strategy", "rollingUpdate"]], rolling != .null {
                errors.append(.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
            }
        case "RollingUpdate":
            let rolling = object[path: ["spec", "strategy", "rollingUpdate"]]
            let unavailable = rolling?["maxUnavailable"], surge = rolling?["maxSurge"]
            let path = "spec.strategy.rollingUpdate"
            errors += NumericValidation.positiveIntOrPercent(unavailable, field: "\(path).maxUnavailable")
            errors += NumericValidation.positiveIntOrPercent(surge, field: "\(path).maxSurge")
            if NumericValidation.intOrPercentValue(unavailable) == 0, NumericValidation.intOrPercentValue(surge) == 0 {
                errors.append(NumericValidation.invalidIntOrString("\(path).maxUnavailable", unavailable ?? .int(0),
                                                                   "may not be 0 when `maxSurge` is 0"))
            }
            errors += NumericValidation.notMoreThan100Percent(unavailable, field: "\(path).maxUnavailable")
        default:
            errors.append(StrategyValue.notSupported("spec.strategy", object[path: ["spec", "strategy"]], goType: "DeploymentStrategy",
                                                     rollingGoType: "RollingUpdateDeployment", ["Recreate", "RollingUpdate"]))
        }
        return errors
    }

    func validateStatus(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        WorkloadStatus.validate(object, old: old, nonNegative: ["observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
                                                               "availableReplicas", "unavailableReplicas", "terminatingReplicas",
                                                               "collisionCount"],
                                atMostReplicas: ["updatedReplicas", "readyReplicas", "availableReplicas"], readyField: "readyReplicas")
    }

    func defaults(_ spec: inout [String: JSONValue], _ object: JSONValue) {
        setDefault(&spec, "replicas", 1)
        var strategy = spec["strategy"]?.object ?? [:]
        setDefaultStrategyType(&strategy, "RollingUpdate")
        if strategy["type"] == "RollingUpdate" {
            var rolling = strategy["rollingUpdate"]?.object ?? [:]
            setDefault(&rolling, "maxUnavailable", "25%")
            setDefault(&rolling, "maxSurge", "25%")
            strategy["rollingUpdate"] = .object(rolling)
        }
        spec["strategy"] = .object(strategy)
        setDefault(&spec, "revisionHistoryLimit", 10)
        setDefault(&spec, "progressDeadlineSeconds", 600)
    }
}

struct ReplicaSetStrategy: WorkloadStrategy {
    var kindName: String { "replicaset" }

    func validateSpec(_ object: JSONValue) -> [FieldError] {
        NumericValidation.nonNegative(object, ["spec", "minReadySeconds"])
    }

    func validateStatus(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        WorkloadStatus.validate(object, old: old, nonNegative: ["replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas",
                                                               "terminatingReplicas", "observedGeneration"],
                                atMostReplicas: ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"], readyField: "readyReplicas",
                                collisions: false)
    }

    func defaults(_ spec: inout [String: JSONValue], _ object: JSONValue) { setDefault(&spec, "replicas", 1) }
}

struct StatefulSetStrategy: WorkloadStrategy {
    var kindName: String { "statefulset" }

    func validateSpec(_ object: JSONValue) -> [FieldError] {
        var errors = NumericValidation.nonNegative(object, ["spec", "minReadySeconds"])
        errors += NumericValidation.nonNegative(object, ["spec", "ordinals", "start"])
        let strategy = object[path: ["spec", "updateStrategy"]]
        switch strategy?["type"]?.string {
        case "RollingUpdate", "OnDelete":
            break
        default:
            // ValidateStatefulSetSpec words this one as Invalid, not NotSupported.
            errors.append(FieldError(kind: .invalid, field: "spec.updateStrategy",
                                     value: StrategyValue.goString(strategy, goType: "StatefulSetUpdateStrategy",
                                                                   rollingGoType: "RollingUpdateStatefulSetStrategy"),
                                     detail: "must be 'RollingUpdate' or 'OnDelete'", numeric: true))
        }
        if object[path: ["spec", "updateStrategy", "type"]]?.string == "RollingUpdate",
           let rolling = object[path: ["spec", "updateStrategy", "rollingUpdate"]], rolling != .null {
            let path = "spec.updateStrategy.rollingUpdate"
            errors += NumericValidation.nonNegative(object, ["spec", "updateStrategy", "rollingUpdate", "partition"])
            if let unavailable = rolling["maxUnavailable"], unavailable != .null {
                errors += NumericValidation.positiveIntOrPercent(unavailable, field: "\(path).maxUnavailable")
                if NumericValidation.intOrPercentValue(unavailable) == 0 {
                    errors.append(NumericValidation.invalidIntOrString("\(path).maxUnavailable", unavailable, "cannot be 0"))
                }
                errors += NumericValidation.notMoreThan100Percent(unavailable, field: "\(path).maxUnavailable")
            }
        }
        return errors
    }

    func validateStatus(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        WorkloadStatus.validate(object, old: old, nonNegative: ["replicas", "readyReplicas", "currentReplicas", "updatedReplicas",
                                                               "availableReplicas", "observedGeneration", "collisionCount"],
                                atMostReplicas: ["readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"],
                                readyField: "status.readyReplicas")
    }

    func defaults(_ spec: inout [String: JSONValue], _ object: JSONValue) {
        setDefault(&spec, "replicas", 1)
        setDefault(&spec, "podManagementPolicy", "OrderedReady")
        var update = spec["updateStrategy"]?.object ?? [:]
        setDefaultStrategyType(&update, "RollingUpdate")
        if update["type"] == "RollingUpdate" {
            var rolling = update["rollingUpdate"]?.object ?? [:]
            setDefault(&rolling, "partition", 0)
            update["rollingUpdate"] = .object(rolling)
        }
        spec["updateStrategy"] = .object(update)
        setDefault(&spec, "revisionHistoryLimit", 10)
        setDefault(&spec, "persistentVolumeClaimRetentionPolicy", ["whenDeleted": "Retain", "whenScaled": "Retain"])
    }
}

struct DaemonSetStrategy: WorkloadStrategy {
    var kindName: String { "daemonset" }

    func validateSpec(_ object: JSONValue) -> [FieldError] {
        var errors = NumericValidation.nonNegative(object, ["spec"], ["minReadySeconds", "revisionHistoryLimit"])
        let type = object[path: ["spec", "updateStrategy", "type"]]?.string
        if type != "RollingUpdate", type != "OnDelete" {
            errors.append(StrategyValue.notSupported("spec.updateStrategy", object[path: ["spec", "updateStrategy"]],
                                                     goType: "DaemonSetUpdateStrategy", rollingGoType: "RollingUpdateDaemonSet",
                                                     ["RollingUpdate", "OnDelete"]))
        }
        guard type == "RollingUpdate" else { return errors }
        let path = "spec.updateStrategy.rollingUpdate"
        guard let rolling = object[path: ["spec", "updateStrategy", "rollingUpdate"]], rolling != .null else {
            return errors + [.required(path)]
        }
        let unavailable = rolling["maxUnavailable"], surge = rolling["maxSurge"]
        errors += NumericValidation.positiveIntOrPercent(unavailable, field: "\(path).maxUnavailable")
        errors += NumericValidation.positiveIntOrPercent(surge, field: "\(path).maxSurge")
        errors += NumericValidation.notMoreThan100Percent(unavailable, field: "\(path).maxUnavailable")
        errors += NumericValidation.notMoreThan100Percent(surge, field: "\(path).maxSurge")
        let hasUnavailable = NumericValidation.intOrPercentValue(unavailable) != 0
        let hasSurge = NumericValidation.intOrPercentValue(surge) != 0
        if hasUnavailable, hasSurge {
            errors.append(NumericValidation.invalidIntOrString("\(path).maxSurge", surge ?? .int(0), "may not be set when maxUnavailable is non-zero"))
        } else if !hasUnavailable, !hasSurge {
            errors.append(.required("\(path).maxUnavailable", "cannot be 0 when maxSurge is 0"))
        }
        return errors
    }

    func validateStatus(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        WorkloadStatus.validate(object, old: old, nonNegative: ["currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled",
                                                               "numberReady", "observedGeneration", "updatedNumberScheduled",
                                                               "numberAvailable", "numberUnavailable", "collisionCount"],
                                atMostReplicas: [], readyField: nil)
    }

    func defaults(_ spec: inout [String: JSONValue], _ object: JSONValue) {
        var update = spec["updateStrategy"]?.object ?? [:]
        setDefaultStrategyType(&update, "RollingUpdate")
        if update["type"] == "RollingUpdate" {
            var rolling = update["rollingUpdate"]?.object ?? [:]
            setDefault(&rolling, "maxUnavailable", 1)
            setDefault(&rolling, "maxSurge", 0)
            update["rollingUpdate"] = .object(rolling)
        }
        spec["updateStrategy"] = .object(update)
        setDefault(&spec, "revisionHistoryLimit", 10)
    }
}
