import Foundation
import KubeAPI
import KubeJSON

/// A pod template inside a workload: defaulted and validated as a pod is, with errors under the template's path.
enum PodTemplate {
    static func applyDefaults(_ object: inout JSONValue, at path: [String]) {
        guard var template = object[path: path], template.object != nil else { return }
        var pod: JSONValue = ["metadata": template["metadata"] ?? .emptyObject, "spec": template["spec"] ?? .emptyObject]
        PodStrategy.applyDefaults(&pod, template: true)
        template["spec"] = pod["spec"]
        object[path: path] = template
    }

    static func validate(_ object: JSONValue, at path: [String], restartPolicies: [String]) -> [FieldError] {
        let prefix = path.joined(separator: ".")
        guard let template = object[path: path], template.object != nil else { return [.required(prefix)] }
        let pod: JSONValue = ["metadata": template["metadata"] ?? .emptyObject, "spec": template["spec"] ?? .emptyObject]
        var errors = PodStrategy().validate(pod).map { error in
            FieldError(kind: error.kind, field: prefix + "." + error.field, value: error.value, detail: error.detail, numeric: error.numeric)
        }
        let policy = template[path: ["spec", "restartPolicy"]]?.string ?? ""
        if !restartPolicies.contains(policy) {
            errors.append(.notSupported("\(prefix).spec.restartPolicy", policy, restartPolicies))
        }
        return errors
    }
}

/// What apps/v1 workloads share: a required selector that matches the template's labels and is immutable,
/// non-negative replicas, a valid pod template, generation following the spec, status from controllers only.
protocol WorkloadStrategy: ResourceStrategy {
    var kindName: String { get }
    var templatePath: [String] { get }
    var restartPolicies: [String] { get }
    func defaults(_ spec: inout [String: JSONValue], _ object: JSONValue)
    /// The kind's own spec rules (ranges, strategies).
    func validateSpec(_ object: JSONValue) -> [FieldError]
    /// upstream's Validate<Kind>StatusUpdate: the counters a status write may hold.
    func validateStatus(_ object: JSONValue, old: JSONValue) -> [FieldError]
}

extension WorkloadStrategy {
    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }
    var templatePath: [String] { ["spec", "template"] }
    var restartPolicies: [String] { ["Always"] }
    func validateSpec(_ object: JSONValue) -> [FieldError] { [] }
    func validateStatus(_ object: JSONValue, old: JSONValue) -> [FieldError] { [] }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"]?.object ?? [:]
        defaults(&spec, object)
        object["spec"] = .object(spec)
        PodTemplate.applyDefaults(&object, at: templatePath)
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if let replicas = object[path: ["spec", "replicas"]]?.int, replicas < 0 {
            errors.append(.invalid("spec.replicas", number: replicas, "must be greater than or equal to 0"))
        }
        errors += validateSpec(object)
        errors += WorkloadSelector.validate(object, templateLabels: templatePath + ["metadata", "labels"], kind: kindName)
        // A StatefulSet's claim templates are volumes its pods will have (upstream validates them the same way).
        var withClaims = object
        if let claims = object[path: ["spec", "volumeClaimTemplates"]]?.array, !claims.isEmpty {
            var volumes = object[path: templatePath + ["spec", "volumes"]]?.array ?? []
            for claim in claims {
                volumes.append(["name": .string(claim.metaName), "persistentVolumeClaim": ["claimName": .string(claim.metaName)]])
            }
            withClaims[path: templatePath + ["spec", "volumes"]] = .array(volumes)
        }
        errors += PodTemplate.validate(withClaims, at: templatePath, restartPolicies: restartPolicies)
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = specUnchanged(object, old, defaulted: applyDefaults) ? [] : validate(object)
        // Status changes only through /status (a spec update keeps the old one), so a changed status is a status write.
        if object["status"] != old["status"] { errors += validateStatus(object, old: old) }
        if let selector = object[path: ["spec", "selector"]], selector != old[path: ["spec", "selector"]] {
            errors.append(FieldError(kind: .invalid, field: "spec.selector", value: WorkloadSelector.goString(selector),
                                     detail: "field is immutable", numeric: true))
        }
        return errors
    }
}

/// The status rules the apps/v1 kinds share (upstream's Validate<Kind>Status): counters are not negative, parts
/// of `replicas` are not more than it, availability is not more than readiness, collisionCount only grows.
enum WorkloadStatus {
    static func validate(_ object: JSONValue, old: JSONValue, nonNegative: [String], atMostReplicas: [String], readyField: String?,
                         collisions: Bool = true) -> [FieldError] {
        var errors = NumericValidation.nonNegative(object, ["status"], nonNegative)
        func count(_ field: String) -> Int64 { object[path: ["status", field]]?.int ?? 0 }
        for field in atMostReplicas where count(field) > count("replicas") {
            errors.append(.invalid("status.\(field)", number: count(field), "cannot be greater than status.replicas"))
        }
        if let readyField, count("availableReplicas") > count("readyReplicas") {
            errors.append(.invalid("status.availableReplicas", number: count("availableReplicas"), "cannot be greater than \(readyField)"))
        }
        // IsDecremented: a collision count, once set, may not go down (nor be removed).
        if collisions, let was = old[path: ["status", "collisionCount"]]?.int {
            let now = object[path: ["status", "collisionCount"]]?.int
            if now.map({ $0 < was }) ?? true {
                errors.append(.invalid("status.collisionCount", number: now ?? 0, "cannot be decremented"))
            }
        }
        return errors
    }
}

enum WorkloadSelector {
    static func validate(_ object: JSONValue, templateLabels: [String], kind: String) -> [FieldError] {
        guard let selectorJSON = object[path: ["spec", "selector"]], selectorJSON.object != nil else {
            return [.required("spec.selector")]
        }
        guard let selector = LabelSelector(labelSelector: selectorJSON) else {
            return [.invalid("spec.selector.matchExpressions", "", "operator must be one of In, NotIn, Exists, DoesNotExist")]
        }
        if selector.isEmpty {
            return [FieldError(kind: .invalid, field: "spec.selector", value: goString(selectorJSON),
                               detail: "empty selector is invalid for \(kind)", numeric: true)]
        }
        let labels = object[path: templateLabels]?.stringMap ?? [:]
        if !selector.matches(labels) {
            return [FieldError(kind: .invalid, field: templateLabels.joined(separator: "."), value: goMap(labels),
                               detail: "`selector` does not match template `labels`", numeric: true)]
        }
        return []
    }

    /// Go's %#v of a map[string]string, as upstream prints the labels it refuses.
    static func goMap(_ labels: [String: String]) -> String {
        "map[string]string{" + labels.keys.sorted().map { "\"\($0)\":\"\(labels[$0] ?? "")\"" }.joined(separator: ", ") + "}"
    }

    static func goString(_ selector: JSONValue) -> String {
        let labels = selector["matchLabels"]?.stringMap
        let matchLabels = labels.map(goMap) ?? "map[string]string(nil)"
        return "v1.LabelSelector{MatchLabels:\(matchLabels), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"
    }

    /// `app=web,tier in (front)`, as kubectl prints selectors.
    static func format(_ selector: JSONValue?) -> String {
        guard let selector else { return "<none>" }
        var parts = (selector["matchLabels"]?.stringMap ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        for e in selector["matchExpressions"]?.array ?? [] {
            let key = e["key"]?.string ?? ""
            let values = (e["values"]?.array ?? []).compactMap(\.string).sorted().joined(separator: ",")
            switch e["operator"]?.string {
            case "In": parts.append("\(key) in (\(values))")
            case "NotIn": parts.append("\(key) notin (\(values))")
            case "Exists": parts.append(key)
            case "DoesNotExist": parts.append("!\(key)")
            default: break
            }
        }
        return parts.isEmpty ? "<none>" : parts.joined(separator: ",")
    }
}

func setDefault(_ spec: inout [String: JSONValue], _ key: String, _ value: JSONValue) {
    if spec[key] == nil || spec[key] == .null { spec[key] = value }
}

/// An update strategy's `type` as the defaults see it: Go's "" is unset, as a missing one is.
func setDefaultStrategyType(_ strategy: inout [String: JSONValue], _ value: String) {
    if strategy["type"] == .string("") { strategy["type"] = nil }
    setDefault(&strategy, "type", .string(value))
}

/// The apps validators report an unknown strategy type with the whole strategy struct as the value, printed as Go's
/// %#v prints the internal type (`apps.DeploymentStrategy{Type:"Foo", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}`).
enum StrategyValue {
    static func goString(_ strategy: JSONValue?, goType: String, rollingGoType: String) -> String {
        let type = strategy?["type"]?.string ?? ""
        let rolling = strategy?["rollingUpdate"].map { $0 != .null } ?? false
        // Upstream prints a set pointer as its address, which means nothing outside that process.
        let pointer = rolling ? "(*apps.\(rollingGoType))(non-nil)" : "(*apps.\(rollingGoType))(nil)"
        return "apps.\(goType){Type:\(GoFormat.quoted(type)), RollingUpdate:\(pointer)}"
    }

    static func notSupported(_ field: String, _ strategy: JSONValue?, goType: String, rollingGoType: String,
                             _ supported: [String]) -> FieldError {
        let error = FieldError.notSupported(field, "", supported)
        return FieldError(kind: .notSupported, field: field,
                          value: goString(strategy, goType: goType, rollingGoType: rollingGoType), detail: error.detail, numeric: true)
    }
}

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

/// batch/v1 Jobs: upstream's defaults, the generated selector and template labels (unless manualSelector), and a
/// pod template that must not restart Always.
struct JobStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }

    static let uidLabel = "batch.kubernetes.io/controller-uid"
    static let nameLabel = "batch.kubernetes.io/job-name"

    func prepareForCreate(_ object: inout JSONValue) {
        object["status"] = .emptyObject
        Self.generateSelector(&object, at: ["spec"])
    }

    /// The selector upstream generates from the job's UID, and the labels that make the template match it.
    static func generateSelector(_ object: inout JSONValue, at spec: [String]) {
        guard object[path: spec + ["manualSelector"]]?.bool != true else { return }
        let uid = object.metaUID
        let name = object.metaName
        object[path: spec + ["selector"]] = ["matchLabels": [uidLabel: .string(uid)]]
        var labels = object[path: spec + ["template", "metadata", "labels"]]?.object ?? [:]
        labels[uidLabel] = .string(uid)
        labels[nameLabel] = .string(name)
        labels["controller-uid"] = .string(uid)
        labels["job-name"] = .string(name)
        object[path: spec + ["template", "metadata", "labels"]] = .object(labels)
    }

    func applyDefaults(_ object: inout JSONValue) {
        Self.defaults(&object, at: ["spec"])
    }

    static func defaults(_ object: inout JSONValue, at path: [String]) {
        var spec = object[path: path]?.object ?? [:]
        if spec["completions"] == nil, spec["parallelism"] == nil {
            spec["completions"] = 1
            spec["parallelism"] = 1
        }
        setDefault(&spec, "parallelism", 1)
        setDefault(&spec, "backoffLimit", 6)
        setDefault(&spec, "completionMode", "NonIndexed")
        setDefault(&spec, "suspend", false)
        setDefault(&spec, "manualSelector", false)
        if spec["podFailurePolicy"] == nil { setDefault(&spec, "podReplacementPolicy", "TerminatingOrFailed") }
        object[path: path] = .object(spec)
        PodTemplate.applyDefaults(&object, at: path + ["template"])
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        Self.validateSpec(object, at: ["spec"], selector: true)
    }

    static let maxParallelismForIndexedJob: Int64 = 100_000

    static func validateSpec(_ object: JSONValue, at path: [String], selector: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        let prefix = path.joined(separator: ".")
        errors += NumericValidation.nonNegative(object, path, ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                                                               "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"])
        let modes = ["NonIndexed", "Indexed"]
        let mode = object[path: path + ["completionMode"]]?.string
        if let mode, !modes.contains(mode) { errors.append(.notSupported("\(prefix).completionMode", mode, modes)) }
        if mode == "Indexed" {
            if object[path: path + ["completions"]]?.int == nil {
                errors.append(.required("\(prefix).completions", "when completion mode is Indexed"))
            }
            // Caps the Job controller's per-index work and the length of completedIndexes, as upstream's limit does.
            if let parallelism = object[path: path + ["parallelism"]]?.int, parallelism > Self.maxParallelismForIndexedJob {
                errors.append(.invalid("\(prefix).parallelism", number: parallelism,
                                       "must be less than or equal to \(Self.maxParallelismForIndexedJob) when completion mode is Indexed"))
            }
        }
        if selector {
            errors += WorkloadSelector.validate(object, templateLabels: path + ["template", "metadata", "labels"], kind: "job")
        }
        errors += PodTemplate.validate(object, at: path + ["template"], restartPolicies: ["OnFailure", "Never"])
        return errors
    }

    /// upstream's index rules for a Job status write (JobManagedBy's status validation, on by default in 1.32), each
    /// applied only when its field changes, as upstream's status strategy does: a Job stored with bad indexes can
    /// still have its other status fields written, and the Job controller may leave indexes beyond a lowered
    /// `completions` until its next pass. The text is read one interval at a time, so a huge one costs no memory.
    static func validateIndexes(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let completed = object[path: ["status", "completedIndexes"]]?.string ?? ""
        let failed = object[path: ["status", "failedIndexes"]]?.string
        let completedChanged = completed != (old[path: ["status", "completedIndexes"]]?.string ?? "")
        let failedChanged = failed != old[path: ["status", "failedIndexes"]]?.string
        let completions = object.goInt32(["spec", "completions"])
        let indexed = object[path: ["spec", "completionMode"]]?.string == "Indexed"
        let perIndex = object[path: ["spec", "backoffLimitPerIndex"]].map { $0 != .null } ?? false
        if completedChanged {
            if let completions, let problem = CompletedIndexes.formatError(completed, completions: completions) {
                errors.append(.invalid("status.completedIndexes", completed, "error parsing completedIndexes: \(problem)"))
            }
            if !completed.isEmpty, !indexed {
                errors.append(.invalid("status.completedIndexes", completed, "cannot set non-empty completedIndexes when non-indexed completion mode"))
            }
        }
        if failedChanged, let failed {
            if let completions, perIndex, let problem = CompletedIndexes.formatError(failed, completions: completions) {
                errors.append(.invalid("status.failedIndexes", failed, "error parsing failedIndexes: \(problem)"))
            }
            if !perIndex {
                errors.append(.invalid("status.failedIndexes", failed, "cannot set non-null failedIndexes when backoffLimitPerIndex is null"))
            }
        }
        if completedChanged || failedChanged, let completions, let failed,
           let overlap = CompletedIndexes.overlapError(completed: completed, failed: failed, completions: completions) {
            errors.append(.invalid("status.failedIndexes", failed, overlap))
        }
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        // Compared with the stored Job as today's defaults complete it (an older binary stored fewer defaults).
        var old = old
        applyDefaults(&old)
        var errors = specUnchanged(object, old, defaulted: { _ in }) ? [] : validate(object)
        if object["status"] != old["status"] {
            errors += NumericValidation.nonNegative(object, ["status"], ["active", "succeeded", "failed", "ready", "terminating"])
            errors += Self.validateIndexes(object, old: old)
        }
        // The template may change only while the job is suspended (upstream's rule for mutable scheduling).
        let suspended = old[path: ["spec", "suspend"]]?.bool == true
        for field in suspended ? ["selector"] : ["selector", "template"] where object[path: ["spec", field]] != old[path: ["spec", field]] {
            errors.append(FieldError(kind: .invalid, field: "spec.\(field)", value: JSONWriter.string(object[path: ["spec", field]] ?? .null),
                                     detail: "field is immutable", numeric: true))
        }
        return errors
    }
}

/// batch/v1 CronJobs: upstream's defaults and a schedule that parses (five fields or a @descriptor).
struct CronJobStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"]?.object ?? [:]
        setDefault(&spec, "concurrencyPolicy", "Allow")
        setDefault(&spec, "suspend", false)
        setDefault(&spec, "successfulJobsHistoryLimit", 3)
        setDefault(&spec, "failedJobsHistoryLimit", 1)
        object["spec"] = .object(spec)
        PodTemplate.applyDefaults(&object, at: ["spec", "jobTemplate", "spec", "template"])
    }

    func validateName(_ name: String) -> String? {
        // The jobs it creates append 11 characters to its name.
        if name.count > 52 { return "must be no more than 52 characters" }
        return NameValidation.isDNS1123Subdomain(name) ? nil : NameValidation.dns1123SubdomainMessage
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        specUnchanged(object, old, defaulted: applyDefaults) ? [] : validate(object)
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let schedule = object[path: ["spec", "schedule"]]?.string ?? ""
        if schedule.isEmpty {
            errors.append(.required("spec.schedule"))
        } else if let problem = Self.scheduleProblem(schedule) {
            errors.append(.invalid("spec.schedule", schedule, problem))
        }
        let policies = ["Allow", "Forbid", "Replace"]
        if let policy = object[path: ["spec", "concurrencyPolicy"]]?.string, !policies.contains(policy) {
            errors.append(.notSupported("spec.concurrencyPolicy", policy, policies))
        }
        if let zone = object[path: ["spec", "timeZone"]]?.string, TimeZone(identifier: zone) == nil || zone.hasPrefix(" ") {
            errors.append(.invalid("spec.timeZone", zone, "unknown time zone \(zone)"))
        }
        errors += NumericValidation.nonNegative(object, ["spec"], ["startingDeadlineSeconds", "successfulJobsHistoryLimit",
                                                                  "failedJobsHistoryLimit"])
        errors += JobStrategy.validateSpec(object, at: ["spec", "jobTemplate", "spec"], selector: false)
        return errors
    }

    /// nil when the standard cron syntax (robfig/cron's parser as upstream configures it) accepts the schedule.
    static func scheduleProblem(_ schedule: String) -> String? {
        do {
            _ = try CronSchedule(schedule)
            return nil
        } catch {
            return error.description
        }
    }
}
