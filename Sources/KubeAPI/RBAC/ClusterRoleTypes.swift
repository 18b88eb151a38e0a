/// rbac.authorization.k8s.io/v1 ClusterRole, what the clusterrole-aggregation controller reads and writes.
public struct ClusterRole: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    public var rules: [PolicyRule]?
    public var aggregationRule: AggregationRule?
}

public struct AggregationRule: Codable, Sendable, Equatable {
    public var clusterRoleSelectors: [LabelSelector]?
}

public struct PolicyRule: Codable, Sendable, Equatable, Hashable {
    @GoValue public var verbs: [String] = []
    public var apiGroups: [String]?
    public var resources: [String]?
    public var resourceNames: [String]?
    public var nonResourceURLs: [String]?
}
