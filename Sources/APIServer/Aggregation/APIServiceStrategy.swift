import KubeAPI
import KubeJSON

/// apiregistration.k8s.io/v1 APIServices: the name is `<version>.<group>`, priorities in range, a Service or none
/// ("Local"), and the TLS settings only with a Service and not both at once (kube-aggregator's validation).
struct APIServiceStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }

    static let availableType = "Available"
    static let localCondition = (reason: "Local", message: "Local APIServices are always available")

    func validateName(_ name: String) -> String? { NameRules.pathSegment(name) }

    /// As upstream: status starts empty, and a local APIService is Available from its creation.
    func prepareForCreate(_ object: inout JSONValue) {
        object["status"] = nil
        if object[path: ["spec", "service"]] == nil || object[path: ["spec", "service"]] == .null {
            object["status"] = ["conditions": [APIServiceStrategy.condition(status: "True", reason: Self.localCondition.reason,
                                                                            message: Self.localCondition.message,
                                                                            at: Timestamp.format(Timestamp.now()))]]
        }
    }

    func applyDefaults(_ object: inout JSONValue) {
        if let service = object[path: ["spec", "service"]], service.object != nil, service["port"] == nil {
            object[path: ["spec", "service", "port"]] = 443
        }
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? .emptyObject
        let group = spec["group"]?.string ?? ""
        let version = spec["version"]?.string ?? ""
        let required = "\(version).\(group)"
        if object.metaName != required, NameRules.pathSegment(object.metaName) == nil {
            errors.append(.invalid("metadata.name", object.metaName, "must be `spec.version+\".\"+spec.group`: \"\(required)\""))
        }
        if group.isEmpty && version != "v1" {
            errors.append(.required("spec.group", "only v1 may have an empty group and it better be legacy kube"))
        }
        if !group.isEmpty && !NameValidation.isDNS1123Subdomain(group) {
            errors.append(.invalid("spec.group", group, NameValidation.dns1123SubdomainMessage))
        }
        if NameRules.dns1035Label(version) != nil || version.count > 63 {
            errors.append(.invalid("spec.version", version, NameRules.dns1035Message))
        }
        let groupPriority = spec["groupPriorityMinimum"]?.int ?? 0
        if groupPriority <= 0 || groupPriority > 20000 {
            errors.append(.invalid("spec.groupPriorityMinimum", number: groupPriority, "must be positive and less than 20000"))
        }
        let versionPriority = spec["versionPriority"]?.int ?? 0
        if versionPriority <= 0 || versionPriority > 1000 {
            errors.append(.invalid("spec.versionPriority", number: versionPriority, "must be positive and less than 1000"))
        }
        let caBundle = spec["caBundle"]?.string ?? ""
        let insecure = spec["insecureSkipTLSVerify"]?.bool ?? false
        guard let service = spec["service"], service.object != nil else {
            if !caBundle.isEmpty {
                let bytes = Base64.decode(caBundle)?.count ?? 0
                errors.append(.invalid("spec.caBundle", "\(bytes) bytes", "local APIServices may not have a caBundle"))
            }
            if insecure {
                errors.append(FieldError(kind: .invalid, field: "spec.insecureSkipTLSVerify", value: "true",
                                         detail: "local APIServices may not have insecureSkipTLSVerify", numeric: true))
            }
            return errors
        }
        if (service["namespace"]?.string ?? "").isEmpty { errors.append(.required("spec.service.namespace")) }
        if (service["name"]?.string ?? "").isEmpty { errors.append(.required("spec.service.name")) }
        let port = service["port"]?.int ?? 443
        if !(1...65535).contains(port) {
            errors.append(.invalid("spec.service.port", number: port, "port is not valid: must be between 1 and 65535, inclusive"))
        }
        if insecure && !caBundle.isEmpty {
            errors.append(FieldError(kind: .invalid, field: "spec.insecureSkipTLSVerify", value: "true",
                                     detail: "may not be true if caBundle is present", numeric: true))
        }
        return errors
    }

    static func condition(status: String, reason: String, message: String, at time: String) -> JSONValue {
        ["type": .string(availableType), "status": .string(status), "lastTransitionTime": .string(time),
         "reason": .string(reason), "message": .string(message)]
    }
}

extension Printers {
    /// kube-aggregator's table: the Service as `namespace/name` or `Local`, and Available as `True`, or
    /// `False (Reason)` when not.
    static let apiServices: [TableColumn] = [
        .name,
        TableColumn("Service", description: "The reference to the service that hosts this API endpoint.") { o, _ in
            guard let service = o[path: ["spec", "service"]], service.object != nil else { return "Local" }
            return .string("\(service["namespace"]?.string ?? "")/\(service["name"]?.string ?? "")")
        },
        TableColumn("Available", description: "Whether this service is available.") { o, _ in
            guard let condition = o[path: ["status", "conditions"]]?.array?.first(where: { $0["type"]?.string == "Available" }) else {
                return "Unknown"
            }
            let status = condition["status"]?.string ?? ""
            let reason = condition["reason"]?.string ?? ""
            if status == "True" || reason.isEmpty { return .string(status) }
            return .string("\(status) (\(reason))")
        },
        .age,
    ]
}
