/// admissionregistration.k8s.io/v1: webhook configurations field by field (they decide what the apiserver calls);
/// the CEL policies down to their rules, the expressions kept as given.
extension Schemas {
    static func described(_ description: String, _ schema: Schema = .str) -> Schema {
        guard case .object(let properties, let required, _, let goType) = schema else { return .string(description: description) }
        return .object(properties: properties, required: required, description: description, goType: goType)
    }

    static let webhookClientConfig = described(
        "How the kube-apiserver reaches the webhook: exactly one of url or service, and the CA that signed its serving certificate.",
        obj([
            "url": .string(description: "An https URL (host and optional path, no query, fragment or user) the AdmissionReview is POSTed to."),
            "service": .ref(admissionRegistration + "ServiceReference"),
            "caBundle": .string(format: "byte", description: "PEM CA certificates (base64 in JSON) that verify the webhook's serving certificate. Empty: the system roots."),
        ], go: "WebhookClientConfig"))

    static let ruleWithOperations = obj([
        "operations": strings, "apiGroups": .list(.str, listType: "atomic"), "apiVersions": .list(.str, listType: "atomic"),
        "resources": .list(.str, listType: "atomic"), "scope": s,
    ], go: "RuleWithOperations")

    static let matchCondition = obj(["name": s, "expression": s], required: ["name", "expression"], go: "MatchCondition")

    static let admissionRegistration = "io.k8s.api.admissionregistration.v1."

    static let serviceReference = described("A Service in the cluster, reached at one of its ready endpoints on the service port.", obj([
        "namespace": .string(description: "The namespace of the Service. Required."),
        "name": .string(description: "The name of the Service. Required."),
        "path": .string(description: "The URL path requests are sent to, starting with '/'."),
        "port": i32,
    ], required: ["namespace", "name"], go: "ServiceReference"))

    static func webhook(mutating: Bool) -> Schema {
        var fields: [String: Schema] = [
            "name": s, "clientConfig": .ref(admissionRegistration + "WebhookClientConfig"),
            "rules": .list(.ref(admissionRegistration + "RuleWithOperations")), "failurePolicy": s,
            "matchPolicy": s, "namespaceSelector": labelSelector, "objectSelector": labelSelector, "sideEffects": s,
            "timeoutSeconds": i32, "admissionReviewVersions": .list(.str, listType: "atomic"),
            "matchConditions": .list(matchCondition, mergeKey: "name"),
        ]
        if mutating { fields["reinvocationPolicy"] = s }
        return obj(fields, required: ["name", "clientConfig", "sideEffects", "admissionReviewVersions"],
                   go: mutating ? "MutatingWebhook" : "ValidatingWebhook")
    }

    static let matchResources = obj([
        "namespaceSelector": labelSelector, "objectSelector": labelSelector,
        "resourceRules": .list(obj(["resourceNames": strings, "operations": strings, "apiGroups": strings, "apiVersions": strings,
                                    "resources": strings, "scope": s], go: "NamedRuleWithOperations")),
        "excludeResourceRules": .list(obj(["resourceNames": strings, "operations": strings, "apiGroups": strings,
                                           "apiVersions": strings, "resources": strings, "scope": s], go: "NamedRuleWithOperations")),
        "matchPolicy": s,
    ], go: "MatchResources")

    static let admissionRegistrationDefinitions: [String: Schema] = [
        admissionRegistration + "WebhookClientConfig": webhookClientConfig,
        admissionRegistration + "ServiceReference": serviceReference,
        admissionRegistration + "RuleWithOperations": ruleWithOperations,
        admissionRegistration + "ValidatingWebhook": webhook(mutating: false),
        admissionRegistration + "MutatingWebhook": webhook(mutating: true),
        admissionRegistration + "ValidatingWebhookConfiguration": kindSchema([
            "webhooks": .list(.ref(admissionRegistration + "ValidatingWebhook"), mergeKey: "name"),
        ]),
        admissionRegistration + "MutatingWebhookConfiguration": kindSchema([
            "webhooks": .list(.ref(admissionRegistration + "MutatingWebhook"), mergeKey: "name"),
        ]),
        "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy": kindSchema([
            "spec": obj([
                "paramKind": obj(["apiVersion": s, "kind": s], go: "ParamKind"),
                "matchConstraints": matchResources,
                "validations": .list(obj(["expression": s, "message": s, "reason": s, "messageExpression": s],
                                         required: ["expression"], go: "Validation")),
                "failurePolicy": s,
                "auditAnnotations": .list(obj(["key": s, "valueExpression": s], required: ["key", "valueExpression"], go: "AuditAnnotation")),
                "matchConditions": .list(matchCondition, mergeKey: "name"),
                "variables": .list(obj(["name": s, "expression": s], required: ["name", "expression"], go: "Variable")),
            ], go: "ValidatingAdmissionPolicySpec"),
            "status": .preserveUnknown,
        ]),
        "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding": kindSchema([
            "spec": obj([
                "policyName": s,
                "paramRef": obj(["name": s, "namespace": s, "selector": labelSelector, "parameterNotFoundAction": s], go: "ParamRef"),
                "matchResources": matchResources,
                "validationActions": .list(.str, listType: "set"),
            ], go: "ValidatingAdmissionPolicyBindingSpec"),
        ]),
    ]
}
