/// core/v1 Secret, what the serviceaccount-token controller reads and writes (the token Secret's data).
public struct Secret: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    /// Base64 of each value, as stored.
    public var data: [String: String]?
    @OmitEmpty public var type: String = ""
}

/// core/v1 ServiceAccount.
public struct ServiceAccount: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    public var secrets: [ObjectReference]?
    public var automountServiceAccountToken: Bool?

    public init(metadata: ObjectMeta) {
        apiVersion = "v1"
        kind = "ServiceAccount"
        self.metadata = metadata
    }
}
