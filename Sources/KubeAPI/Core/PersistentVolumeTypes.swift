/// core/v1 PersistentVolume, what the binder and the PV protection controller read and write.
public struct PersistentVolume: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: PersistentVolumeSpec = .goZero
    @GoValue public var status: PersistentVolumeStatus = .goZero
}

public struct PersistentVolumeSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var capacity: [String: ResourceQuantity]?
    public var accessModes: [String]?
    public var claimRef: ObjectReference?
    /// Retain, Delete or Recycle.
    @OmitEmpty public var persistentVolumeReclaimPolicy: String = ""
    @OmitEmpty public var storageClassName: String = ""
    /// Filesystem (the default) or Block.
    public var volumeMode: String?
    /// The two sources a kubelet without volume plugins can mount: a directory of the node.
    public var hostPath: HostPathVolumeSource?
    public var local: LocalVolumeSource?

    public init() {}
    public static var goZero: PersistentVolumeSpec { .init() }
}

public struct PersistentVolumeStatus: Codable, Sendable, Equatable, GoZeroValue {
    /// Pending, Available, Bound, Released or Failed.
    @OmitEmpty public var phase: String = ""
    @OmitEmpty public var message: String = ""
    @OmitEmpty public var reason: String = ""

    public init() {}
    public static var goZero: PersistentVolumeStatus { .init() }
}

/// core/v1 PersistentVolumeClaim.
public struct PersistentVolumeClaim: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: PersistentVolumeClaimSpec = .goZero
    @GoValue public var status: PersistentVolumeClaimStatus = .goZero
}

public struct PersistentVolumeClaimSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var accessModes: [String]?
    public var selector: LabelSelector?
    @GoValue public var resources: VolumeResourceRequirements = .goZero
    @OmitEmpty public var volumeName: String = ""
    /// nil: the default class (the apiserver fills it in); "": no class.
    public var storageClassName: String?
    public var volumeMode: String?

    public init() {}
    public static var goZero: PersistentVolumeClaimSpec { .init() }
}

public struct VolumeResourceRequirements: Codable, Sendable, Equatable, GoZeroValue {
    public var limits: [String: ResourceQuantity]?
    public var requests: [String: ResourceQuantity]?

    public init() {}
    public static var goZero: VolumeResourceRequirements { .init() }
}

public struct PersistentVolumeClaimStatus: Codable, Sendable, Equatable, GoZeroValue {
    /// Pending, Bound or Lost.
    @OmitEmpty public var phase: String = ""
    public var accessModes: [String]?
    public var capacity: [String: ResourceQuantity]?

    public init() {}
    public static var goZero: PersistentVolumeClaimStatus { .init() }
}
