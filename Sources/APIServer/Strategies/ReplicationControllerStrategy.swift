import KubeAPI
import KubeJSON

/// core/v1 ReplicationController: the ReplicaSet's older form with a plain map selector. As upstream: the selector
/// and the controller's labels default to the template's labels, replicas to 1; the selector must match the
/// template's labels and, unlike a ReplicaSet's, may change.
struct ReplicationControllerStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }

    func applyDefaults(_ object: inout JSONValue) {
        let templateLabels = object[path: ["spec", "template", "metadata", "labels"]]
        if (object[path: ["spec", "selector"]]?.object ?? [:]).isEmpty, let templateLabels, !(templateLabels.object ?? [:]).isEmpty {
            object[path: ["spec", "selector"]] = templateLabels
        }
        if (object[path: ["metadata", "labels"]]?.object ?? [:]).isEmpty, let templateLabels, !(templateLabels.object ?? [:]).isEmpty {
            object[path: ["metadata", "labels"]] = templateLabels
        }
        if object[path: ["spec", "replicas"]] == nil || object[path: ["spec", "replicas"]] == .null {
            object[path: ["spec", "replicas"]] = 1
        }
        PodTemplate.applyDefaults(&object, at: ["spec", "template"])
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors = NumericValidation.nonNegative(object, ["spec", "replicas"])
        errors += NumericValidation.nonNegative(object, ["spec", "minReadySeconds"])
        let selector = object[path: ["spec", "selector"]]?.stringMap ?? [:]
        if selector.isEmpty { errors.append(.required("spec.selector")) }
        guard let template = object[path: ["spec", "template"]], template.object != nil else {
            return errors + [.required("spec.template")]
        }
        let labels = template[path: ["metadata", "labels"]]?.stringMap ?? [:]
        if !selector.isEmpty, !selector.allSatisfy({ labels[$0.key] == $0.value }) {
            errors.append(FieldError(kind: .invalid, field: "spec.template.metadata.labels", value: WorkloadSelector.goMap(labels),
                                     detail: "`selector` does not match template `labels`", numeric: true))
        }
        errors += PodTemplate.validate(object, at: ["spec", "template"], restartPolicies: ["Always"])
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(object)
        if object["status"] != old["status"] {
            errors += WorkloadStatus.validate(object, old: old, nonNegative: ["replicas", "fullyLabeledReplicas", "readyReplicas",
                                                                             "availableReplicas", "observedGeneration"],
                                              atMostReplicas: ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"],
                                              readyField: "readyReplicas", collisions: false)
        }
        return errors
    }
}

/// core/v1 PodTemplate: a template stored on its own (a pod template as workloads hold one).
struct PodTemplateStrategy: ResourceStrategy {
    func applyDefaults(_ object: inout JSONValue) { PodTemplate.applyDefaults(&object, at: ["template"]) }

    func validate(_ object: JSONValue) -> [FieldError] {
        let policies = ["Always", "OnFailure", "Never"]
        return PodTemplate.validate(object, at: ["template"], restartPolicies: policies)
    }
}
