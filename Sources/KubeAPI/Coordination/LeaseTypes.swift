/// coordination.k8s.io/v1 Lease, what the node lifecycle controller reads of a kubelet's (its renewal).
public struct Lease: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: LeaseSpec = .goZero
}

public struct LeaseSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int32?
    public var acquireTime: String?
    /// RFC 3339 with microseconds (MicroTime).
    public var renewTime: String?
    public var leaseTransitions: Int32?

    public init() {}
    public static var goZero: LeaseSpec { .init() }
}
