import KubeAPI
import KubeJSON

/// What an admission request is, as the webhooks see it (upstream's admission.Attributes).
struct AdmissionAttributes: Sendable {
    var operation: AdmissionOperation
    var resource: ResourceDefinition
    var subresource: String
    /// The request's namespace; for a Namespace itself its name, as upstream has it.
    var namespace: String
    var name: String
    /// nil for DELETE.
    var object: JSONValue?
    var oldObject: JSONValue?
    var context: RequestContext

    var isNamespace: Bool { resource.group.isEmpty && resource.resource == "namespaces" }
}

/// The group/version/kind and resource a webhook is called with: the request's own, or (matchPolicy Equivalent) an
/// equivalent served version its rules name.
struct WebhookInvocation: Sendable {
    var webhook: ConfiguredWebhook
    var definition: ResourceDefinition
}

enum WebhookMatching {
    /// Requests on the admission configuration itself never go to webhooks, so a broken webhook cannot lock its own
    /// configuration (upstream's IsExemptAdmissionConfigurationResource).
    static let exemptResources: Set<String> = ["validatingwebhookconfigurations", "mutatingwebhookconfigurations",
                                               "validatingadmissionpolicies", "validatingadmissionpolicybindings",
                                               "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"]

    static func isExempt(_ attributes: AdmissionAttributes) -> Bool {
        attributes.resource.group == "admissionregistration.k8s.io" && exemptResources.contains(attributes.resource.resource)
    }

    /// Whether one rule covers the request at `version`.
    static func ruleMatches(_ rule: RuleWithOperations, _ attributes: AdmissionAttributes, group: String, version: String,
                            resource: String) -> Bool {
        let operations = rule.operations ?? []
        guard operations.contains("*") || operations.contains(attributes.operation.rawValue) else { return false }
        let groups = rule.apiGroups ?? []
        guard groups.contains("*") || groups.contains(group) else { return false }
        let versions = rule.apiVersions ?? []
        guard versions.contains("*") || versions.contains(version) else { return false }
        let resourceMatches = (rule.resources ?? []).contains { entry in
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let res = parts[0], sub = parts.count > 1 ? parts[1] : ""
            return (res == "*" || res == resource) && (sub == "*" || sub == attributes.subresource)
        }
        guard resourceMatches else { return false }
        switch rule.scope ?? "*" {
        case "Namespaced": return !attributes.isNamespace && !attributes.namespace.isEmpty
        case "Cluster": return attributes.isNamespace || attributes.namespace.isEmpty
        default: return true
        }
    }

    /// The definition the webhook is called for, or nil when its rules do not cover the request.
    static func invocation(_ hook: ConfiguredWebhook, _ attributes: AdmissionAttributes,
                           servedVersions: [ResourceDefinition]) -> WebhookInvocation? {
        let rules = hook.webhook.rules ?? []
        let def = attributes.resource
        if rules.contains(where: { ruleMatches($0, attributes, group: def.group, version: def.version, resource: def.resource) }) {
            return WebhookInvocation(webhook: hook, definition: def)
        }
        guard (hook.webhook.matchPolicy ?? "Equivalent") == "Equivalent" else { return nil }
        // Another served version of the same resource (a custom resource's), its objects converted by apiVersion.
        for other in servedVersions where other.version != def.version && other.group == def.group && other.resource == def.resource {
            if rules.contains(where: { ruleMatches($0, attributes, group: other.group, version: other.version, resource: other.resource) }) {
                return WebhookInvocation(webhook: hook, definition: other)
            }
        }
        return nil
    }

    /// objectSelector: the new or the old object's labels match (a DELETE has only the old one).
    static func objectSelectorMatches(_ hook: AdmissionWebhook, _ attributes: AdmissionAttributes) -> Bool {
        guard let selector = hook.objectSelector, !selector.isEmpty else { return true }
        guard let parsed = selector.asSelector() else { return false }
        for object in [attributes.object, attributes.oldObject] {
            if let object, parsed.matches(object.metaLabels) { return true }
        }
        return false
    }

    /// namespaceSelector against the labels of the request's namespace (a Namespace's own labels for a Namespace);
    /// cluster-scoped objects always match. `namespaceLabels` reads a namespace's labels (nil: not found).
    static func namespaceSelectorMatches(_ hook: AdmissionWebhook, _ attributes: AdmissionAttributes,
                                         namespaceLabels: (String) async throws -> [String: String]?) async throws -> Bool {
        guard let selector = hook.namespaceSelector, !selector.isEmpty else { return true }
        guard let parsed = selector.asSelector() else { return false }
        if attributes.isNamespace {
            let labels = (attributes.object ?? attributes.oldObject)?.metaLabels ?? [:]
            return parsed.matches(labels)
        }
        guard attributes.resource.namespaced, !attributes.namespace.isEmpty else { return true }
        guard let labels = try await namespaceLabels(attributes.namespace) else {
            throw StatusError.internalError("namespaces \"\(attributes.namespace)\" not found")
        }
        return parsed.matches(labels)
    }
}
