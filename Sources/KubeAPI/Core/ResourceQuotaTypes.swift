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

    public init() {}
    public static var goZero: ResourceQuotaSpec { .init() }
}

public struct ResourceQuotaStatus: Codable, Sendable, Equatable, GoZeroValue {
    public var hard: [String: ResourceQuantity]?
    public var used: [String: ResourceQuantity]?

    public init() {}
    public static var goZero: ResourceQuotaStatus { .init() }
}
