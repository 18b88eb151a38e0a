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
        // A key missing from an expression is refused with the operators, as it always was here.
        guard let typed = try? LabelSelector(json: selectorJSON), !(typed.matchExpressions ?? []).contains(where: { $0.key.isEmpty }),
              let selector = typed.asSelector() else {
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
        // A ReplicationController's selector is a plain map (core/v1's older form).
        let plain = selector["matchLabels"] == nil && selector["matchExpressions"] == nil ? selector.stringMap : nil
        var parts = (plain ?? selector["matchLabels"]?.stringMap ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
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
