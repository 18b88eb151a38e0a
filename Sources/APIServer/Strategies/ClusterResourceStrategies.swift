import KubeAPI
import KubeJSON

/// The kinds a CKA exercise creates around workloads — volumes, storage classes, quotas and limits, network
/// policies, ingresses, disruption budgets, priority classes — with upstream's defaults and the validation users
/// trip over. Their controllers (PV binder, quota, ingress controllers) are not part of Kubestrap.

/// core/v1 PersistentVolumes: Retain and Filesystem by default; a new volume is Pending until a binder sees it.
struct PersistentVolumeStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }

    func prepareForCreate(_ object: inout JSONValue) { object["status"] = ["phase": "Pending"] }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"]?.object ?? [:]
        setDefault(&spec, "persistentVolumeReclaimPolicy", "Retain")
        setDefault(&spec, "volumeMode", "Filesystem")
        object["spec"] = .object(spec)
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if (object[path: ["spec", "accessModes"]]?.array ?? []).isEmpty { errors.append(.required("spec.accessModes")) }
        errors += AccessModes.validate(object[path: ["spec", "accessModes"]], path: "spec.accessModes")
        if object[path: ["spec", "capacity", "storage"]] == nil { errors.append(.required("spec.capacity")) }
        let sources = ["hostPath", "local", "nfs", "csi", "iscsi", "fc", "cephfs", "rbd", "glusterfs", "azureDisk", "azureFile",
                       "awsElasticBlockStore", "gcePersistentDisk", "cinder", "flexVolume", "vsphereVolume", "portworxVolume",
                       "scaleIO", "storageos", "photonPersistentDisk", "quobyte", "flocker"]
        if !sources.contains(where: { object[path: ["spec", $0]] != nil }) {
            errors.append(.required("spec", "must specify a volume type"))
        }
        let policies = ["Retain", "Recycle", "Delete"]
        if let policy = object[path: ["spec", "persistentVolumeReclaimPolicy"]]?.string, !policies.contains(policy) {
            errors.append(.notSupported("spec.persistentVolumeReclaimPolicy", policy, policies))
        }
        return errors
    }
}

/// core/v1 PersistentVolumeClaims: Filesystem by default, Pending until bound; storage requests only grow.
struct PersistentVolumeClaimStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }

    func prepareForCreate(_ object: inout JSONValue) { object["status"] = ["phase": "Pending"] }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"]?.object ?? [:]
        setDefault(&spec, "volumeMode", "Filesystem")
        object["spec"] = .object(spec)
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if (object[path: ["spec", "accessModes"]]?.array ?? []).isEmpty { errors.append(.required("spec.accessModes", "at least 1 access mode is required")) }
        errors += AccessModes.validate(object[path: ["spec", "accessModes"]], path: "spec.accessModes")
        if object[path: ["spec", "resources", "requests", "storage"]] == nil {
            errors.append(.required("spec.resources[storage]"))
        }
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(object)
        var a = object["spec"] ?? .null, b = old["spec"] ?? .null
        a[path: ["resources", "requests", "storage"]] = nil
        b[path: ["resources", "requests", "storage"]] = nil
        // volumeName may be set once, by the binder.
        if (b["volumeName"]?.string ?? "").isEmpty { a["volumeName"] = nil; b["volumeName"] = nil }
        if a != b {
            errors.append(.forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"))
        }
        return errors
    }
}

enum AccessModes {
    static let supported = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
    static func validate(_ modes: JSONValue?, path: String) -> [FieldError] {
        (modes?.array ?? []).compactMap(\.string).filter { !supported.contains($0) }.map { .notSupported(path, $0, supported) }
    }
    /// kubectl's short form: RWO, ROX, RWX, RWOP.
    static func short(_ modes: JSONValue?) -> String {
        let names = ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"]
        return (modes?.array ?? []).compactMap { $0.string.flatMap { names[$0] } }.joined(separator: ",")
    }
}

/// storage.k8s.io/v1 StorageClasses: Delete and Immediate by default; provisioner and parameters are immutable.
struct StorageClassStrategy: ResourceStrategy {
    func applyDefaults(_ object: inout JSONValue) {
        if object["reclaimPolicy"] == nil { object["reclaimPolicy"] = "Delete" }
        if object["volumeBindingMode"] == nil { object["volumeBindingMode"] = "Immediate" }
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if (object["provisioner"]?.string ?? "").isEmpty { errors.append(.required("provisioner")) }
        let modes = ["Immediate", "WaitForFirstConsumer"]
        if let mode = object["volumeBindingMode"]?.string, !modes.contains(mode) {
            errors.append(.notSupported("volumeBindingMode", mode, modes))
        }
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(object)
        for field in ["provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"] where object[field] != old[field] {
            errors.append(.forbidden(field, "updates to \(field) are forbidden."))
        }
        return errors
    }
}

/// core/v1 ResourceQuotas: `status.hard` mirrors `spec.hard` and `used` starts at zero (the quota controller would
/// count usage; there is none).
struct ResourceQuotaStrategy: ResourceStrategy {
    // As upstream: status starts empty and is the resourcequota controller's (and quota admission's) alone, so
    // admission refuses what a quota covers until the controller has counted ("status unknown for quota").
    var hasStatusSubresource: Bool { true }
}

/// networking.k8s.io/v1 Ingresses: every path needs a pathType and a backend, as upstream's v1 validation says.
struct IngressStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let rules = object[path: ["spec", "rules"]]?.array ?? []
        if rules.isEmpty, object[path: ["spec", "defaultBackend"]] == nil {
            errors.append(.invalid("spec", "", "either `defaultBackend` or `rules` must be specified"))
        }
        let pathTypes = ["Exact", "ImplementationSpecific", "Prefix"]
        for (i, rule) in rules.enumerated() {
            for (j, path) in (rule[path: ["http", "paths"]]?.array ?? []).enumerated() {
                let base = "spec.rules[\(i)].http.paths[\(j)]"
                if let pathType = path["pathType"]?.string {
                    if !pathTypes.contains(pathType) { errors.append(.notSupported("\(base).pathType", pathType, pathTypes)) }
                } else {
                    errors.append(.required("\(base).pathType", "pathType must be specified"))
                }
                if let p = path["path"]?.string, !p.hasPrefix("/"), path["pathType"]?.string != "ImplementationSpecific" {
                    errors.append(.invalid("\(base).path", p, "must be an absolute path"))
                }
                if path["backend"] == nil { errors.append(.required("\(base).backend")) }
            }
        }
        return errors
    }
}

/// scheduling.k8s.io/v1 PriorityClasses: value and preemption policy are fixed once created; `system-` names are
/// reserved for the two the apiserver creates.
struct PriorityClassStrategy: ResourceStrategy {
    func applyDefaults(_ object: inout JSONValue) {
        if object["preemptionPolicy"] == nil { object["preemptionPolicy"] = "PreemptLowerPriority" }
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if object["value"]?.int == nil { errors.append(.required("value")) }
        if let value = object["value"]?.int, value > 1_000_000_000, !object.metaName.hasPrefix("system-") {
            errors.append(.forbidden("value", "maximum allowed value of a user defined priority is 1000000000"))
        }
        let policies = ["Never", "PreemptLowerPriority"]
        if let policy = object["preemptionPolicy"]?.string, !policies.contains(policy) {
            errors.append(.notSupported("preemptionPolicy", policy, policies))
        }
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(object)
        if object["value"] != old["value"] { errors.append(.forbidden("value", "may not be changed in an update.")) }
        if object["preemptionPolicy"] != old["preemptionPolicy"] {
            errors.append(.invalid("preemptionPolicy", object["preemptionPolicy"]?.string ?? "", "field is immutable"))
        }
        return errors
    }
}

/// policy/v1 PodDisruptionBudgets: exactly one of minAvailable and maxUnavailable.
struct PodDisruptionBudgetStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }

    func validate(_ object: JSONValue) -> [FieldError] {
        if object[path: ["spec", "minAvailable"]] != nil, object[path: ["spec", "maxUnavailable"]] != nil {
            return [.invalid("spec", "", "minAvailable and maxUnavailable cannot be both set")]
        }
        return []
    }
}
