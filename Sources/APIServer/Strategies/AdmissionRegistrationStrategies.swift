import Foundation
import KubeAPI
import KubeJSON

/// admissionregistration.k8s.io/v1 Validating- and MutatingWebhookConfigurations: upstream's v1 defaults and the
/// validation of what decides whether and how a webhook is called.
struct WebhookConfigurationStrategy: ResourceStrategy {
    let mutating: Bool

    func applyDefaults(_ object: inout JSONValue) {
        guard var hooks = object["webhooks"]?.array else { return }
        for i in hooks.indices where hooks[i].object != nil {
            Self.defaultWebhook(&hooks[i], mutating: mutating)
        }
        object["webhooks"] = .array(hooks)
    }

    static func defaultWebhook(_ hook: inout JSONValue, mutating: Bool) {
        if hook["failurePolicy"] == nil { hook["failurePolicy"] = "Fail" }
        if hook["matchPolicy"] == nil { hook["matchPolicy"] = "Equivalent" }
        if hook["namespaceSelector"] == nil { hook["namespaceSelector"] = .emptyObject }
        if hook["objectSelector"] == nil { hook["objectSelector"] = .emptyObject }
        if hook["timeoutSeconds"] == nil { hook["timeoutSeconds"] = 10 }
        if mutating, hook["reinvocationPolicy"] == nil { hook["reinvocationPolicy"] = "Never" }
        if hook[path: ["clientConfig", "service"]]?.object != nil, hook[path: ["clientConfig", "service", "port"]] == nil {
            hook[path: ["clientConfig", "service", "port"]] = 443
        }
        if var rules = hook["rules"]?.array {
            for j in rules.indices where rules[j].object != nil && rules[j]["scope"] == nil { rules[j]["scope"] = "*" }
            hook["rules"] = .array(rules)
        }
    }

    func validate(_ object: JSONValue) -> [FieldError] { validate(object, strict: .all) }

    /// An update keeps tolerating what the stored object already got away with (upstream relaxes the rules an old
    /// object breaks, so it can still be changed).
    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        let oldHooks = old["webhooks"]?.array ?? []
        var strict = Strictness.all
        let names = oldHooks.map { $0["name"]?.string ?? "" }
        if Set(names).count != names.count { strict.remove(.uniqueNames) }
        if !oldHooks.allSatisfy({ ["None", "NoneOnDryRun"].contains($0["sideEffects"]?.string ?? "") }) { strict.remove(.noSideEffects) }
        if !oldHooks.allSatisfy({ hook in
            let versions = hook["admissionReviewVersions"]?.array?.compactMap(\.string) ?? []
            return versions.isEmpty || versions.contains { Self.reviewVersions.contains($0) }
        }) { strict.remove(.recognizedReviewVersion) }
        return validate(object, strict: strict)
    }

    struct Strictness: OptionSet {
        let rawValue: Int
        static let uniqueNames = Strictness(rawValue: 1)
        static let noSideEffects = Strictness(rawValue: 2)
        static let recognizedReviewVersion = Strictness(rawValue: 4)
        static let all: Strictness = [.uniqueNames, .noSideEffects, .recognizedReviewVersion]
    }

    static let reviewVersions = ["v1", "v1beta1"]

    func validate(_ object: JSONValue, strict: Strictness) -> [FieldError] {
        var errors: [FieldError] = []
        var seen: Set<String> = []
        for (i, hook) in (object["webhooks"]?.array ?? []).enumerated() {
            let path = "webhooks[\(i)]"
            let name = hook["name"]?.string ?? ""
            errors += Self.validateFullyQualifiedName("\(path).name", name)
            if strict.contains(.uniqueNames), !name.isEmpty, !seen.insert(name).inserted {
                errors.append(.duplicate("\(path).name", name))
            }
            for (j, rule) in (hook["rules"]?.array ?? []).enumerated() {
                errors += Self.validateRule(rule, path: "\(path).rules[\(j)]")
            }
            errors += Self.enumField(hook, "failurePolicy", path, ["Fail", "Ignore"])
            errors += Self.enumField(hook, "matchPolicy", path, ["Equivalent", "Exact"])
            let sideEffects = strict.contains(.noSideEffects) ? ["None", "NoneOnDryRun"] : ["None", "NoneOnDryRun", "Some", "Unknown"]
            if let value = hook["sideEffects"], value != .null {
                errors += Self.enumField(hook, "sideEffects", path, sideEffects)
            } else {
                errors.append(.required("\(path).sideEffects", "must specify one of \(sideEffects.joined(separator: ", "))"))
            }
            if let timeout = hook["timeoutSeconds"]?.int, !(1...30).contains(timeout) {
                errors.append(.invalid("\(path).timeoutSeconds", number: timeout, "the timeout value must be between 1 and 30 seconds"))
            }
            for selector in ["namespaceSelector", "objectSelector"] {
                if let value = hook[selector], value != .null { errors += Self.validateLabelSelector(value, path: "\(path).\(selector)") }
            }
            if mutating { errors += Self.enumField(hook, "reinvocationPolicy", path, ["IfNeeded", "Never"]) }
            errors += Self.validateClientConfig(hook["clientConfig"] ?? .emptyObject, path: "\(path).clientConfig")
            errors += Self.validateReviewVersions(hook["admissionReviewVersions"]?.array?.map { $0.string ?? "" } ?? [],
                                                  requireRecognized: strict.contains(.recognizedReviewVersion),
                                                  path: "\(path).admissionReviewVersions")
        }
        return errors
    }

    static func enumField(_ object: JSONValue, _ field: String, _ path: String, _ supported: [String]) -> [FieldError] {
        guard let value = object[field], value != .null else { return [] }
        let text = value.string ?? ""
        return supported.contains(text) ? [] : [.notSupported("\(path).\(field)", text, supported)]
    }

    /// upstream's IsFullyQualifiedName: a DNS subdomain of at least three labels.
    static func validateFullyQualifiedName(_ path: String, _ name: String) -> [FieldError] {
        if name.isEmpty { return [.required(path)] }
        if !NameValidation.isDNS1123Subdomain(name) { return [.invalid(path, name, NameValidation.dns1123SubdomainMessage)] }
        if name.split(separator: ".").count < 3 { return [.invalid(path, name, "should be a domain with at least three segments separated by dots")] }
        return []
    }

    static func goStrings(_ values: [String]) -> String {
        "[]string{" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
    }

    static func listInvalid(_ path: String, _ values: [String], _ detail: String) -> FieldError {
        FieldError(kind: .invalid, field: path, value: goStrings(values), detail: detail, numeric: true)
    }

    static func validateRule(_ rule: JSONValue, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        let operations = rule["operations"]?.array?.map { $0.string ?? "" } ?? []
        if operations.isEmpty { errors.append(.required("\(path).operations")) }
        if operations.count > 1, operations.contains("*") {
            errors.append(listInvalid("\(path).operations", operations, "if '*' is present, must not specify other operations"))
        }
        let supportedOperations = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"]
        for (i, op) in operations.enumerated() where !supportedOperations.contains(op) {
            errors.append(.notSupported("\(path).operations[\(i)]", op, supportedOperations))
        }
        let groups = rule["apiGroups"]?.array?.map { $0.string ?? "" } ?? []
        if groups.isEmpty { errors.append(.required("\(path).apiGroups")) }
        if groups.count > 1, groups.contains("*") {
            errors.append(listInvalid("\(path).apiGroups", groups, "if '*' is present, must not specify other API groups"))
        }
        let versions = rule["apiVersions"]?.array?.map { $0.string ?? "" } ?? []
        if versions.isEmpty { errors.append(.required("\(path).apiVersions")) }
        if versions.count > 1, versions.contains("*") {
            errors.append(listInvalid("\(path).apiVersions", versions, "if '*' is present, must not specify other API versions"))
        }
        for (i, v) in versions.enumerated() where v.isEmpty { errors.append(.required("\(path).apiVersions[\(i)]")) }
        errors += validateResources(rule["resources"]?.array?.map { $0.string ?? "" } ?? [], path: "\(path).resources")
        if let scope = rule["scope"], scope != .null, !["*", "Cluster", "Namespaced"].contains(scope.string ?? "") {
            errors.append(.notSupported("\(path).scope", scope.string ?? "", ["*", "Cluster", "Namespaced"]))
        }
        return errors
    }

    static func validateResources(_ resources: [String], path: String) -> [FieldError] {
        var errors: [FieldError] = []
        if resources.isEmpty { errors.append(.required(path)) }
        var wildcardSubresourceOf: Set<String> = [], wildcardResourceFor: Set<String> = []
        var doubleWildcard = false, singleWildcard = false, plainResource = false
        for (i, entry) in resources.enumerated() {
            if entry.isEmpty {
                errors.append(.required("\(path)[\(i)]"))
                continue
            }
            if entry == "*/*" { doubleWildcard = true }
            if entry == "*" { singleWildcard = true }
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else {
                plainResource = entry != "*"
                continue
            }
            let (res, sub) = (parts[0], parts[1])
            if wildcardSubresourceOf.contains(res) {
                errors.append(.invalid("\(path)[\(i)]", entry, "if '\(res)/*' is present, must not specify \(entry)"))
            }
            if wildcardResourceFor.contains(sub) {
                errors.append(.invalid("\(path)[\(i)]", entry, "if '*/\(sub)' is present, must not specify \(entry)"))
            }
            if sub == "*" { wildcardSubresourceOf.insert(res) }
            if res == "*" { wildcardResourceFor.insert(sub) }
        }
        if resources.count > 1, doubleWildcard {
            errors.append(listInvalid(path, resources, "if '*/*' is present, must not specify other resources"))
        }
        if singleWildcard, plainResource {
            errors.append(listInvalid(path, resources, "if '*' is present, must not specify other resources without subresources"))
        }
        return errors
    }

    static func validateReviewVersions(_ versions: [String], requireRecognized: Bool, path: String) -> [FieldError] {
        guard !versions.isEmpty else { return [.required(path, "must specify one of \(reviewVersions.joined(separator: ", "))")] }
        var errors: [FieldError] = []
        var seen: Set<String> = []
        for (i, v) in versions.enumerated() {
            guard seen.insert(v).inserted else {
                errors.append(.invalid("\(path)[\(i)]", v, "duplicate version"))
                continue
            }
            if let message = NameRules.dns1035Label(v) { errors.append(.invalid("\(path)[\(i)]", v, message)) }
        }
        if requireRecognized, !versions.contains(where: { reviewVersions.contains($0) }) {
            errors.append(listInvalid(path, versions, "must include at least one of \(reviewVersions.joined(separator: ", "))"))
        }
        return errors
    }

    static func validateClientConfig(_ config: JSONValue, path: String) -> [FieldError] {
        let url = config["url"].flatMap { $0 == .null ? nil : $0 }
        let service = config["service"].flatMap { $0 == .null ? nil : $0 }
        var errors: [FieldError] = []
        switch (url, service) {
        case (.some(let url), nil):
            errors += validateURL(url.string ?? "", path: "\(path).url")
        case (nil, .some(let service)):
            let servicePath = "\(path).service"
            if (service["name"]?.string ?? "").isEmpty { errors.append(.required("\(servicePath).name", "service name is required")) }
            if (service["namespace"]?.string ?? "").isEmpty { errors.append(.required("\(servicePath).namespace", "service namespace is required")) }
            if let p = service["path"]?.string {
                errors += validateServicePath(p, path: "\(servicePath).path")
            }
            if let port = service["port"]?.int, !(1...65535).contains(port) {
                errors.append(.invalid("\(servicePath).port", number: port, "port is not valid: must be between 1 and 65535, inclusive"))
            }
        default:
            errors.append(.required(path, "exactly one of url or service is required"))
        }
        if let bundle = config["caBundle"]?.string, !bundle.isEmpty, Base64.decode(bundle) == nil {
            errors.append(.invalid("\(path).caBundle", bundle, "must be base64 encoded"))
        }
        return errors
    }

    static func validateServicePath(_ p: String, path: String) -> [FieldError] {
        if p == "/" { return [] }
        guard p.hasPrefix("/") else { return [.invalid(path, p, "must start with a '/'")] }
        var errors: [FieldError] = []
        var segments = p.dropFirst()
        if segments.hasSuffix("/") { segments = segments.dropLast() }
        for (i, step) in segments.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
            if step.isEmpty {
                errors.append(.invalid(path, p, "segment[\(i)] may not be empty"))
            } else if !NameValidation.isDNS1123Subdomain(String(step)) {
                errors.append(.invalid(path, p, "segment[\(i)]: \(NameValidation.dns1123SubdomainMessage)"))
            }
        }
        return errors
    }

    /// upstream's ValidateWebhookURL with https required.
    static func validateURL(_ text: String, path: String) -> [FieldError] {
        guard let url = URLComponents(string: text) else { return [.invalid(path, text, "url must be a valid URL")] }
        var errors: [FieldError] = []
        if url.scheme != "https" { errors.append(.invalid(path, url.scheme ?? "", "'https' is the only allowed URL scheme")) }
        if (url.host ?? "").isEmpty { errors.append(.invalid(path, url.host ?? "", "host must be specified")) }
        if url.user != nil || url.password != nil {
            errors.append(.invalid(path, url.user ?? "", "user information is not permitted in the URL"))
        }
        if let fragment = url.fragment { errors.append(.invalid(path, fragment, "fragments are not permitted in the URL")) }
        if let query = url.percentEncodedQuery { errors.append(.invalid(path, query, "query parameters are not permitted in the URL")) }
        return errors
    }

    static func validateLabelSelector(_ selector: JSONValue, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        for (i, expression) in (selector["matchExpressions"]?.array ?? []).enumerated() {
            let op = expression["operator"]?.string ?? ""
            let values = expression["values"]?.array ?? []
            switch op {
            case "In", "NotIn":
                if values.isEmpty {
                    errors.append(.required("\(path).matchExpressions[\(i)].values", "must be specified when `operator` is 'In' or 'NotIn'"))
                }
            case "Exists", "DoesNotExist":
                if !values.isEmpty {
                    errors.append(.forbidden("\(path).matchExpressions[\(i)].values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
                }
            default:
                errors.append(.invalid("\(path).matchExpressions[\(i)].operator", op, "not a valid selector operator"))
            }
        }
        return errors
    }
}

/// ValidatingAdmissionPolicy: stored, listed and shown; not enforced (its rules are CEL, which this server does not
/// evaluate — `AdmissionPolicyNotice` says so once per policy).
struct ValidatingAdmissionPolicyStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }

    func applyDefaults(_ object: inout JSONValue) {
        guard object["spec"]?.object != nil else { return }
        if object[path: ["spec", "failurePolicy"]] == nil { object[path: ["spec", "failurePolicy"]] = "Fail" }
        if var match = object[path: ["spec", "matchConstraints"]], match.object != nil {
            MatchResourcesDefaults.apply(&match)
            object[path: ["spec", "matchConstraints"]] = match
        }
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? .emptyObject
        errors += WebhookConfigurationStrategy.enumField(spec, "failurePolicy", "spec", ["Fail", "Ignore"])
        if spec["matchConstraints"] == nil || spec["matchConstraints"] == .null {
            errors.append(.required("spec.matchConstraints"))
        } else if (spec[path: ["matchConstraints", "resourceRules"]]?.array ?? []).isEmpty {
            errors.append(.required("spec.matchConstraints.resourceRules"))
        }
        if (spec["validations"]?.array ?? []).isEmpty, (spec["auditAnnotations"]?.array ?? []).isEmpty {
            errors.append(.required("spec.validations", "validations or auditAnnotations must contain at least one item"))
        }
        for (i, validation) in (spec["validations"]?.array ?? []).enumerated()
        where (validation["expression"]?.string ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            errors.append(.required("spec.validations[\(i)].expression", "expression is not specified"))
        }
        return errors
    }
}

/// ValidatingAdmissionPolicyBinding: stored and shown, like its policy not enforced.
struct ValidatingAdmissionPolicyBindingStrategy: ResourceStrategy {
    var tracksGeneration: Bool { true }

    func applyDefaults(_ object: inout JSONValue) {
        if var match = object[path: ["spec", "matchResources"]], match.object != nil {
            MatchResourcesDefaults.apply(&match)
            object[path: ["spec", "matchResources"]] = match
        }
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? .emptyObject
        if (spec["policyName"]?.string ?? "").isEmpty { errors.append(.required("spec.policyName")) }
        let actions = spec["validationActions"]?.array?.map { $0.string ?? "" } ?? []
        if actions.isEmpty { errors.append(.required("spec.validationActions", "at least one validation action is required")) }
        for (i, action) in actions.enumerated() where !["Audit", "Deny", "Warn"].contains(action) {
            errors.append(.notSupported("spec.validationActions[\(i)]", action, ["Audit", "Deny", "Warn"]))
        }
        return errors
    }
}

/// The defaults of a policy's (or binding's) MatchResources, as upstream's v1 defaulting sets them.
enum MatchResourcesDefaults {
    static func apply(_ match: inout JSONValue) {
        if match["matchPolicy"] == nil { match["matchPolicy"] = "Equivalent" }
        if match["namespaceSelector"] == nil { match["namespaceSelector"] = .emptyObject }
        if match["objectSelector"] == nil { match["objectSelector"] = .emptyObject }
        for field in ["resourceRules", "excludeResourceRules"] {
            guard var rules = match[field]?.array else { continue }
            for i in rules.indices where rules[i].object != nil && rules[i]["scope"] == nil { rules[i]["scope"] = "*" }
            match[field] = .array(rules)
        }
    }
}
