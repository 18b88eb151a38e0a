import KubeJSON

/// apps/v1 StatefulSet, the fields its controller reads and writes (templates as stored, see ReplicaSet).
public struct StatefulSet: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: StatefulSetSpec = .goZero
    @GoValue public var status: StatefulSetStatus = .goZero
}

public struct StatefulSetSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var replicas: Int32?
    public var selector: LabelSelector?
    public var template: JSONValue?
    /// core/v1 PersistentVolumeClaims, as stored.
    public var volumeClaimTemplates: [JSONValue]?
    @OmitEmpty public var serviceName: String = ""
    /// "OrderedReady" (the default) or "Parallel".
    @OmitEmpty public var podManagementPolicy: String = ""
    @GoValue public var updateStrategy: StatefulSetUpdateStrategy = .goZero
    public var revisionHistoryLimit: Int32?
    @OmitEmpty public var minReadySeconds: Int32 = 0
    public var persistentVolumeClaimRetentionPolicy: StatefulSetPersistentVolumeClaimRetentionPolicy?
    public var ordinals: StatefulSetOrdinals?

    public init() {}
    public static var goZero: StatefulSetSpec { .init() }
}

public struct StatefulSetUpdateStrategy: Codable, Sendable, Equatable, GoZeroValue {
    /// "RollingUpdate" (the default) or "OnDelete".
    @OmitEmpty public var type: String = ""
    public var rollingUpdate: RollingUpdateStatefulSetStrategy?

    public init() {}
    public static var goZero: StatefulSetUpdateStrategy { .init() }
}

public struct RollingUpdateStatefulSetStrategy: Codable, Sendable, Equatable {
    public var partition: Int32?
    public var maxUnavailable: IntOrString?
}

public struct StatefulSetPersistentVolumeClaimRetentionPolicy: Codable, Sendable, Equatable {
    /// "Retain" (the default) or "Delete".
    @OmitEmpty public var whenDeleted: String = ""
    @OmitEmpty public var whenScaled: String = ""
}

public struct StatefulSetOrdinals: Codable, Sendable, Equatable {
    @OmitEmpty public var start: Int32 = 0
}

public struct StatefulSetStatus: Codable, Sendable, Equatable, GoZeroValue {
    @OmitEmpty public var observedGeneration: Int64 = 0
    @GoValue public var replicas: Int32 = 0
    @OmitEmpty public var readyReplicas: Int32 = 0
    @OmitEmpty public var currentReplicas: Int32 = 0
    @OmitEmpty public var updatedReplicas: Int32 = 0
    @OmitEmpty public var currentRevision: String = ""
    @OmitEmpty public var updateRevision: String = ""
    public var collisionCount: Int32?
    public var conditions: [StatefulSetCondition]?
    @GoValue public var availableReplicas: Int32 = 0

    public init() {}
    public static var goZero: StatefulSetStatus { .init() }
}

public struct StatefulSetCondition: Codable, Sendable, Equatable {
    @GoValue public var type: String = ""
    @GoValue public var status: String = ""
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?
}
