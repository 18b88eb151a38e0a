/// core/v1 ResourceQuota, what the resourcequota controller reads and writes.
public struct ResourceQuota: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: ResourceQuotaSpec = .goZero
    @GoValue public var status: ResourceQuotaStatus = .goZero
}

public struct ResourceQuotaSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var hard: [String: ResourceQuantity]?
    /// Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass, …
    public var scopes: [String]?
    public var scopeSelector: ScopeSelector?

    public init() {}
    public static var goZero: ResourceQuotaSpec { .init() }
}

public struct ScopeSelector: Codable, Sendable, Equatable {
    public var matchExpressions: [ScopedResourceSelectorRequirement]?
}

/// One scope requirement: `PriorityClass In [high]`, `BestEffort Exists`.
public struct ScopedResourceSelectorRequirement: Codable, Sendable, Equatable {
    public var scopeName: String
    public var `operator`: String
    public var values: [String]?

    public init(scopeName: String, operator: String, values: [String]? = nil) {
        self.scopeName = scopeName
        self.operator = `operator`
        self.values = values
    }
}

public struct ResourceQuotaStatus: Codable, Sendable, Equatable, GoZeroValue {
    public var hard: [String: ResourceQuantity]?
    public var used: [String: ResourceQuantity]?

    public init() {}
    public static var goZero: ResourceQuotaStatus { .init() }
}
