import KubeJSON

/// apps/v1 ReplicaSet, the fields its controller and the deployment controller read and write. The pod template
/// stays as stored: it is copied into pods and hashed as written, fields Kubestrap does not model included.
public struct ReplicaSet: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: ReplicaSetSpec = .goZero
    @GoValue public var status: ReplicaSetStatus = .goZero

    public init(metadata: ObjectMeta = .goZero, spec: ReplicaSetSpec = .goZero) {
        apiVersion = "apps/v1"
        kind = "ReplicaSet"
        self.metadata = metadata
        self.spec = spec
    }
}

public struct ReplicaSetSpec: Codable, Sendable, Equatable, GoZeroValue {
    /// Defaulted to 1 by the apiserver; nil only in objects written around it.
    public var replicas: Int32?
    @OmitEmpty public var minReadySeconds: Int32 = 0
    public var selector: LabelSelector?
    /// A core/v1 PodTemplateSpec, as stored.
    public var template: JSONValue?

    public init() {}
    public static var goZero: ReplicaSetSpec { .init() }
}

public struct ReplicaSetStatus: Codable, Sendable, Equatable, GoZeroValue {
    @GoValue public var replicas: Int32 = 0
    @OmitEmpty public var fullyLabeledReplicas: Int32 = 0
    @OmitEmpty public var readyReplicas: Int32 = 0
    @OmitEmpty public var availableReplicas: Int32 = 0
    public var terminatingReplicas: Int32?
    @OmitEmpty public var observedGeneration: Int64 = 0
    public var conditions: [ReplicaSetCondition]?

    public init() {}
    public static var goZero: ReplicaSetStatus { .init() }
}

public struct ReplicaSetCondition: Codable, Sendable, Equatable {
    @GoValue public var type: String = ""
    @GoValue public var status: String = ""
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?
}
