import KubeAPI
import KubeJSON

/// Roles and ClusterRoles: every rule needs verbs, and resource rules need apiGroups.
struct RoleStrategy: ResourceStrategy {
    func validateName(_ name: String) -> String? { NameRules.pathSegment(name) }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        for (i, rule) in (object["rules"]?.array ?? []).enumerated() {
            if (rule["verbs"]?.array ?? []).isEmpty { errors.append(.required("rules[\(i)].verbs", "verbs must contain at least one value")) }
            let hasURLs = !(rule["nonResourceURLs"]?.array ?? []).isEmpty
            let hasResources = !(rule["resources"]?.array ?? []).isEmpty
            if !hasURLs, rule["apiGroups"]?.array == nil || !hasResources {
                if rule["apiGroups"]?.array == nil {
                    errors.append(.required("rules[\(i)].apiGroups", "resource rules must supply at least one api group"))
                }
                if !hasResources { errors.append(.required("rules[\(i)].resources", "resource rules must supply at least one resource")) }
            }
            if hasURLs, object.metaNamespace != "" {
                errors.append(.invalid("rules[\(i)].nonResourceURLs", "", "namespaced rules cannot apply to non-resource URLs"))
            }
        }
        return errors
    }
}

/// RoleBindings and ClusterRoleBindings: a roleRef that never changes and subjects of a known kind.
struct RoleBindingStrategy: ResourceStrategy {
    let clusterScoped: Bool

    func validateName(_ name: String) -> String? { NameRules.pathSegment(name) }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let ref = object["roleRef"] ?? .null
        let refKinds = clusterScoped ? ["ClusterRole"] : ["Role", "ClusterRole"]
        if (ref["name"]?.string ?? "").isEmpty { errors.append(.required("roleRef.name")) }
        let kind = ref["kind"]?.string ?? ""
        if !refKinds.contains(kind) { errors.append(.notSupported("roleRef.kind", kind, refKinds)) }
        if (ref["apiGroup"]?.string ?? "") != "rbac.authorization.k8s.io" {
            errors.append(.notSupported("roleRef.apiGroup", ref["apiGroup"]?.string ?? "", ["rbac.authorization.k8s.io"]))
        }
        for (i, subject) in (object["subjects"]?.array ?? []).enumerated() {
            let kinds = ["ServiceAccount", "User", "Group"]
            let kind = subject["kind"]?.string ?? ""
            if !kinds.contains(kind) { errors.append(.notSupported("subjects[\(i)].kind", kind, kinds)) }
            if (subject["name"]?.string ?? "").isEmpty { errors.append(.required("subjects[\(i)].name")) }
            if kind == "ServiceAccount", clusterScoped, (subject["namespace"]?.string ?? "").isEmpty {
                errors.append(.required("subjects[\(i)].namespace"))
            }
        }
        return errors
    }

    func applyDefaults(_ object: inout JSONValue) {
        guard var subjects = object["subjects"]?.array else { return }
        for i in subjects.indices where subjects[i]["apiGroup"] == nil {
            switch subjects[i]["kind"]?.string {
            case "User", "Group": subjects[i]["apiGroup"] = "rbac.authorization.k8s.io"
            case "ServiceAccount": subjects[i]["apiGroup"] = ""
            default: break
            }
        }
        object["subjects"] = .array(subjects)
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(object)
        if object["roleRef"] != old["roleRef"] {
            errors.append(.invalid("roleRef", JSONWriter.string(object["roleRef"] ?? .null), "cannot change roleRef"))
        }
        return errors
    }
}
