import KubeJSON

extension ObjectMeta: GoZeroValue {
    public static var goZero: ObjectMeta { ObjectMeta() }
}

extension OwnerReference {
    /// upstream's NewControllerRef: the reference a controller puts on what it makes.
    public static func newControllerRef(apiVersion: String, kind: String, name: String, uid: String,
                                        blockOwnerDeletion: Bool = true) -> OwnerReference {
        OwnerReference(apiVersion: apiVersion, kind: kind, name: name, uid: uid, controller: true, blockOwnerDeletion: blockOwnerDeletion)
    }
}

/// core/v1 ObjectReference (a CronJob's `status.active`).
public struct ObjectReference: Codable, Sendable, Equatable, Hashable {
    @OmitEmpty public var kind: String = ""
    @OmitEmpty public var namespace: String = ""
    @OmitEmpty public var name: String = ""
    @OmitEmpty public var uid: String = ""
    @OmitEmpty public var apiVersion: String = ""
    @OmitEmpty public var resourceVersion: String = ""
    @OmitEmpty public var fieldPath: String = ""

    public init(apiVersion: String = "", kind: String = "", namespace: String = "", name: String = "", uid: String = "",
                resourceVersion: String = "") {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
}
