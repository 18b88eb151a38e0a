import KubeAPI
import KubeJSON

/// ConfigMaps: keys are `[-._a-zA-Z0-9]+`, a key may not be in both data and binaryData, `immutable` freezes data.
struct ConfigMapStrategy: ResourceStrategy {
    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        var seen = Set<String>()
        for field in ["data", "binaryData"] {
            for key in (object[field]?.object ?? [:]).keys.sorted() {
                if let detail = ConfigKeys.validate(key) { errors.append(.invalid("\(field)", key, detail)) }
                if !seen.insert(key).inserted {
                    errors.append(.invalid("data", key, "duplicate of key present in binaryData"))
                }
                if field == "data", object[field]?[key]?.string == nil {
                    errors.append(.invalid("data[\(key)]", "", "must be a string"))
                }
            }
        }
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(object)
        if old["immutable"]?.bool == true {
            if object["immutable"]?.bool != true {
                errors.append(FieldError(kind: .forbidden, field: "immutable", value: nil, detail: "field is immutable when `immutable` is set"))
            }
            if object["data"] != old["data"] || object["binaryData"] != old["binaryData"] {
                errors.append(FieldError(kind: .forbidden, field: "data", value: nil, detail: "field is immutable when `immutable` is set"))
            }
        }
        return errors
    }
}

/// Secrets: `stringData` is folded into base64 `data` on write (it is write-only), type defaults to Opaque and
/// is immutable.
struct SecretStrategy: ResourceStrategy {
    func applyDefaults(_ object: inout JSONValue) {
        if (object["type"]?.string ?? "").isEmpty { object["type"] = "Opaque" }
        if let stringData = object["stringData"]?.object {
            var data = object["data"]?.object ?? [:]
            for (key, value) in stringData {
                data[key] = .string(Base64.encode(Array((value.string ?? "").utf8)))
            }
            object["data"] = .object(data)
            object["stringData"] = nil
        }
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        for key in (object["data"]?.object ?? [:]).keys.sorted() {
            if let detail = ConfigKeys.validate(key) { errors.append(.invalid("data[\(key)]", key, detail)) }
            if let value = object["data"]?[key]?.string, Base64.decode(value) == nil {
                errors.append(.invalid("data[\(key)]", "<secret contents redacted>", "must be valid base64"))
            }
        }
        // Typed secrets must carry what their type promises.
        switch object["type"]?.string {
        case "kubernetes.io/service-account-token":
            if (object[path: ["metadata", "annotations", "kubernetes.io/service-account.name"]]?.string ?? "").isEmpty {
                errors.append(.required("metadata.annotations[kubernetes.io/service-account.name]"))
            }
        case "kubernetes.io/tls":
            for key in ["tls.crt", "tls.key"] where object["data"]?[key] == nil { errors.append(.required("data[\(key)]")) }
        default:
            break
        }
        let size = (object["data"]?.object ?? [:]).values.reduce(0) { $0 + ($1.string?.utf8.count ?? 0) * 3 / 4 }
        if size > 1 << 20 {
            errors.append(FieldError(kind: .invalid, field: "data", value: nil, detail: "Too long: must have at most 1048576 bytes"))
        }
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(object)
        if object["type"] != old["type"] {
            errors.append(.invalid("type", object["type"]?.string ?? "", "field is immutable"))
        }
        if old["immutable"]?.bool == true, object["data"] != old["data"] {
            errors.append(FieldError(kind: .forbidden, field: "data", value: nil, detail: "field is immutable when `immutable` is set"))
        }
        return errors
    }

    func selectableFields(_ object: JSONValue) -> [String: String] { ["type": FieldSets.string(object["type"])] }
}

enum ConfigKeys {
    static func validate(_ key: String) -> String? {
        let ok = !key.isEmpty && key.count <= 253 && key != "." && key != ".."
            && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
        return ok ? nil : "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
    }
}

/// Leases (coordination.k8s.io/v1): the kubelet's heartbeat objects.
struct LeaseStrategy: ResourceStrategy {
    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if let d = object[path: ["spec", "leaseDurationSeconds"]]?.int, d <= 0 {
            errors.append(.invalid("spec.leaseDurationSeconds", String(d), "must be greater than 0"))
        }
        return errors
    }
}

/// core/v1 Events: the involved object's namespace must be the event's.
struct EventStrategy: ResourceStrategy {
    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let involvedNS = object[path: ["involvedObject", "namespace"]]?.string ?? ""
        if !involvedNS.isEmpty, involvedNS != object.metaNamespace {
            errors.append(.invalid("involvedObject.namespace", involvedNS, "does not match event.namespace"))
        }
        return errors
    }

    func selectableFields(_ object: JSONValue) -> [String: String] {
        var fields: [String: String] = [:]
        for field in ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] {
            fields["involvedObject.\(field)"] = FieldSets.string(object[path: ["involvedObject", field]])
        }
        fields["reason"] = FieldSets.string(object["reason"])
        fields["reportingComponent"] = FieldSets.string(object["reportingComponent"])
        // upstream: the source component, else the reporting controller (events written through events.k8s.io).
        let source = FieldSets.string(object[path: ["source", "component"]])
        fields["source"] = source.isEmpty ? FieldSets.string(object["reportingComponent"]) : source
        fields["type"] = FieldSets.string(object["type"])
        return fields
    }
}

/// events.k8s.io/v1 Events.
struct EventsV1Strategy: ResourceStrategy {
    func selectableFields(_ object: JSONValue) -> [String: String] {
        var fields: [String: String] = [:]
        for field in ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] {
            fields["regarding.\(field)"] = FieldSets.string(object[path: ["regarding", field]])
        }
        fields["reason"] = FieldSets.string(object["reason"])
        fields["type"] = FieldSets.string(object["type"])
        fields["reportingController"] = FieldSets.string(object["reportingController"])
        return fields
    }
}
