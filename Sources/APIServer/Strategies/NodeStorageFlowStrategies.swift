import KubeAPI
import KubeJSON

/// node.k8s.io/v1 RuntimeClass: a handler that is a DNS label, immutable (upstream's validation).
struct RuntimeClassStrategy: ResourceStrategy {
    func validate(_ object: JSONValue) -> [FieldError] {
        let handler = object["handler"]?.string ?? ""
        if handler.isEmpty { return [.required("handler")] }
        if !NameValidation.isDNS1123Label(handler) { return [.invalid("handler", handler, NameValidation.dns1123LabelMessage)] }
        return []
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(object)
        if object["handler"] != old["handler"] { errors.append(.invalid("handler", object["handler"]?.string ?? "", "field is immutable")) }
        return errors
    }
}

/// apps/v1 ControllerRevision: a snapshot a DaemonSet or StatefulSet records; its data never changes.
struct ControllerRevisionStrategy: ResourceStrategy {
    func validate(_ object: JSONValue) -> [FieldError] {
        NumericValidation.nonNegative(object, ["revision"])
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(object)
        if object["data"] != old["data"] { errors.append(.invalid("data", "", "field is immutable")) }
        return errors
    }
}

/// Kinds whose status is written by a controller through `/status` (VolumeAttachment, FlowSchema,
/// PriorityLevelConfiguration), with no further rules here.
struct StatusSubresourceStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
}

/// core/v1 ComponentStatus is computed on read; nothing is stored.
struct ComponentStatusStrategy: ResourceStrategy {}
