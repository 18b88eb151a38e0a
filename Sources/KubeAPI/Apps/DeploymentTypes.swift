import KubeJSON

/// apps/v1 Deployment, the fields its controller reads and writes (the pod template as stored, see ReplicaSet).
public struct Deployment: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: DeploymentSpec = .goZero
    @GoValue public var status: DeploymentStatus = .goZero
}

public struct DeploymentSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var replicas: Int32?
    public var selector: LabelSelector?
    public var template: JSONValue?
    @GoValue public var strategy: DeploymentStrategy = .goZero
    @OmitEmpty public var minReadySeconds: Int32 = 0
    public var revisionHistoryLimit: Int32?
    @OmitEmpty public var paused: Bool = false
    public var progressDeadlineSeconds: Int32?

    public init() {}
    public static var goZero: DeploymentSpec { .init() }
}

public struct DeploymentStrategy: Codable, Sendable, Equatable, GoZeroValue {
    /// "RollingUpdate" (the default) or "Recreate".
    @OmitEmpty public var type: String = ""
    public var rollingUpdate: RollingUpdateDeployment?

    public init() {}
    public static var goZero: DeploymentStrategy { .init() }
}

public struct RollingUpdateDeployment: Codable, Sendable, Equatable {
    public var maxUnavailable: IntOrString?
    public var maxSurge: IntOrString?
}

public struct DeploymentStatus: Codable, Sendable, Equatable, GoZeroValue {
    @OmitEmpty public var observedGeneration: Int64 = 0
    @OmitEmpty public var replicas: Int32 = 0
    @OmitEmpty public var updatedReplicas: Int32 = 0
    @OmitEmpty public var readyReplicas: Int32 = 0
    @OmitEmpty public var availableReplicas: Int32 = 0
    @OmitEmpty public var unavailableReplicas: Int32 = 0
    public var terminatingReplicas: Int32?
    public var conditions: [DeploymentCondition]?
    public var collisionCount: Int32?

    public init() {}
    public static var goZero: DeploymentStatus { .init() }
}

public struct DeploymentCondition: Codable, Sendable, Equatable {
    @GoValue public var type: String = ""
    @GoValue public var status: String = ""
    public var lastUpdateTime: String?
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, reason: String?, message: String?, lastUpdateTime: String?, lastTransitionTime: String?) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastUpdateTime = lastUpdateTime
        self.lastTransitionTime = lastTransitionTime
    }
}
