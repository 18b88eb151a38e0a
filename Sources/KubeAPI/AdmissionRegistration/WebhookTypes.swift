/// admissionregistration.k8s.io/v1 webhooks as the kube-apiserver reads them to call them. One type serves both
/// kinds: a validating webhook is a mutating one without `reinvocationPolicy`.
public struct AdmissionWebhook: Codable, Sendable, Equatable {
    @GoValue public var name: String = ""
    @GoValue public var clientConfig: WebhookClientConfig = .goZero
    public var rules: [RuleWithOperations]?
    public var failurePolicy: String?
    public var matchPolicy: String?
    public var namespaceSelector: LabelSelector?
    public var objectSelector: LabelSelector?
    public var sideEffects: String?
    public var timeoutSeconds: Int32?
    public var admissionReviewVersions: [String]?
    public var reinvocationPolicy: String?
    /// CEL conditions: kept, not evaluated (this server has no CEL).
    public var matchConditions: [MatchCondition]?

    public init(name: String) { self.name = name }
}

public struct WebhookClientConfig: Codable, Sendable, Equatable, GoZeroValue {
    public var url: String?
    public var service: WebhookServiceReference?
    /// base64 in JSON (Go's []byte).
    public var caBundle: String?

    public init() {}
    public static var goZero: WebhookClientConfig { .init() }
}

/// admissionregistration.k8s.io ServiceReference (named apart from apiregistration's in one Swift module).
public struct WebhookServiceReference: Codable, Sendable, Equatable {
    @GoValue public var namespace: String = ""
    @GoValue public var name: String = ""
    public var path: String?
    public var port: Int32?

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }
}

public struct RuleWithOperations: Codable, Sendable, Equatable {
    public var operations: [String]?
    public var apiGroups: [String]?
    public var apiVersions: [String]?
    public var resources: [String]?
    public var scope: String?

    public init(operations: [String], apiGroups: [String], apiVersions: [String], resources: [String], scope: String? = nil) {
        self.operations = operations
        self.apiGroups = apiGroups
        self.apiVersions = apiVersions
        self.resources = resources
        self.scope = scope
    }
}

public struct MatchCondition: Codable, Sendable, Equatable {
    @GoValue public var name: String = ""
    @GoValue public var expression: String = ""
}
