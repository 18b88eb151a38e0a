import KubeJSON

/// apps/v1 DaemonSet, the fields its controller reads and writes (the pod template as stored, see ReplicaSet).
public struct DaemonSet: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: DaemonSetSpec = .goZero
    @GoValue public var status: DaemonSetStatus = .goZero
}

public struct DaemonSetSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var selector: LabelSelector?
    public var template: JSONValue?
    @GoValue public var updateStrategy: DaemonSetUpdateStrategy = .goZero
    @OmitEmpty public var minReadySeconds: Int32 = 0
    public var revisionHistoryLimit: Int32?

    public init() {}
    public static var goZero: DaemonSetSpec { .init() }
}

public struct DaemonSetUpdateStrategy: Codable, Sendable, Equatable, GoZeroValue {
    /// "RollingUpdate" (the default) or "OnDelete".
    @OmitEmpty public var type: String = ""
    public var rollingUpdate: RollingUpdateDaemonSet?

    public init() {}
    public static var goZero: DaemonSetUpdateStrategy { .init() }
}

public struct RollingUpdateDaemonSet: Codable, Sendable, Equatable {
    public var maxUnavailable: IntOrString?
    public var maxSurge: IntOrString?
}

public struct DaemonSetStatus: Codable, Sendable, Equatable, GoZeroValue {
    @GoValue public var currentNumberScheduled: Int32 = 0
    @GoValue public var numberMisscheduled: Int32 = 0
    @GoValue public var desiredNumberScheduled: Int32 = 0
    @GoValue public var numberReady: Int32 = 0
    @OmitEmpty public var observedGeneration: Int64 = 0
    @OmitEmpty public var updatedNumberScheduled: Int32 = 0
    @OmitEmpty public var numberAvailable: Int32 = 0
    @OmitEmpty public var numberUnavailable: Int32 = 0
    public var collisionCount: Int32?
    public var conditions: [DaemonSetCondition]?

    public init() {}
    public static var goZero: DaemonSetStatus { .init() }
}

public struct DaemonSetCondition: Codable, Sendable, Equatable {
    @GoValue public var type: String = ""
    @GoValue public var status: String = ""
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?
}
