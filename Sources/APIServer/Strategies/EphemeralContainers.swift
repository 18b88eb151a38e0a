import KubeAPI
import KubeJSON

/// `pods/ephemeralcontainers` (what `kubectl debug` patches): only `spec.ephemeralContainers` changes through it,
/// existing ones stay as they are, and each new one is a container without what would make the pod rely on it.
enum EphemeralContainers {
    static let subresource = "ephemeralcontainers"

    /// upstream's allow list of EphemeralContainerCommon fields: these must stay unset.
    static let forbiddenFields = ["ports", "resources", "resizePolicy", "restartPolicy", "livenessProbe", "readinessProbe",
                                  "startupProbe", "lifecycle"]

    /// upstream's dropNonEphemeralContainerUpdates: the stored pod with the request's ephemeral containers.
    static func object(_ input: JSONValue, old: JSONValue) -> JSONValue {
        var object = old
        let requested = input[path: ["spec", "ephemeralContainers"]]
        object[path: ["spec", "ephemeralContainers"]] = requested == .null ? nil : requested
        return object
    }

    /// The ephemeral containers of a pod spec (validateEphemeralContainers): common container rules, names unique
    /// across every kind of container, a target that is a regular or init container, no fields from the deny list,
    /// and no subPath mounts.
    static func validate(_ pod: JSONValue, volumeNames: Set<String>) -> [FieldError] {
        let spec = pod["spec"] ?? .null
        let list = spec["ephemeralContainers"]?.array ?? []
        guard !list.isEmpty else { return [] }
        var others = Set<String>()
        for kind in ["containers", "initContainers"] {
            for c in spec[kind]?.array ?? [] { if let name = c["name"]?.string { others.insert(name) } }
        }
        var all = others
        var errors: [FieldError] = []
        for (i, c) in list.enumerated() {
            let path = "spec.ephemeralContainers[\(i)]"
            let name = c["name"]?.string ?? ""
            if name.isEmpty {
                errors.append(.required("\(path).name"))
            } else if !NameValidation.isDNS1123Label(name) {
                errors.append(.invalid("\(path).name", name, NameValidation.dns1123LabelMessage))
            } else if !all.insert(name).inserted {
                errors.append(.duplicate("\(path).name", name))
            }
            if (c["image"]?.string ?? "").isEmpty { errors.append(.required("\(path).image")) }
            if let target = c["targetContainerName"]?.string, !target.isEmpty, !others.contains(target) {
                errors.append(.notFound("\(path).targetContainerName", target))
            }
            for field in forbiddenFields where isSet(c[field]) {
                errors.append(.forbidden("\(path).\(field)", "cannot be set for an Ephemeral Container"))
            }
            for (m, mount) in (c["volumeMounts"]?.array ?? []).enumerated() {
                let mountName = mount["name"]?.string ?? ""
                if !volumeNames.contains(mountName) { errors.append(.notFound("\(path).volumeMounts[\(m)].name", mountName)) }
                if (mount["mountPath"]?.string ?? "").isEmpty { errors.append(.required("\(path).volumeMounts[\(m)].mountPath")) }
                for field in ["subPath", "subPathExpr"] where !(mount[field]?.string ?? "").isEmpty {
                    errors.append(.forbidden("\(path).volumeMounts[\(m)].\(field)", "cannot be set for an Ephemeral Container"))
                }
            }
            let pullPolicies = ["Always", "IfNotPresent", "Never"]
            if let policy = c["imagePullPolicy"]?.string, !pullPolicies.contains(policy) {
                errors.append(.notSupported("\(path).imagePullPolicy", policy, pullPolicies))
            }
        }
        return errors
    }

    /// Go's zero value test of validateFieldAllowList: null, an empty object or list, "", 0 and false are unset.
    static func isSet(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: return false
        case .object(let o)?: return !o.isEmpty
        case .array(let a)?: return !a.isEmpty
        case .string(let s)?: return !s.isEmpty
        case .bool(let b)?: return b
        case .int(let n)?: return n != 0
        default: return true
        }
    }

    /// upstream's ValidatePodEphemeralContainersUpdate beyond the spec: not on a static pod, and the ephemeral
    /// containers already there neither removed nor changed (patches do not keep order, so each is found by name).
    static func validateUpdate(_ pod: JSONValue, old: JSONValue) -> [FieldError] {
        if old[path: ["metadata", "annotations", "kubernetes.io/config.mirror"]] != nil {
            return [.forbidden("", "static pods do not support ephemeral containers")]
        }
        var byName: [String: JSONValue] = [:]
        for c in pod[path: ["spec", "ephemeralContainers"]]?.array ?? [] {
            if let name = c["name"]?.string { byName[name] = c }
        }
        var errors: [FieldError] = []
        for c in old[path: ["spec", "ephemeralContainers"]]?.array ?? [] {
            let name = c["name"]?.string ?? ""
            guard let now = byName[name] else {
                errors.append(.forbidden("spec.ephemeralContainers", "existing ephemeral containers \"\(name)\" may not be removed\n"))
                continue
            }
            if now != c {
                errors.append(.forbidden("spec.ephemeralContainers.\(name)", "existing ephemeral containers \"\(name)\" may not be changed\n"))
            }
        }
        return errors
    }
}
