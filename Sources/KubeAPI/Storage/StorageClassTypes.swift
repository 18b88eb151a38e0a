/// storage.k8s.io/v1 StorageClass, what the binder reads (whether a claim waits for its pod to be placed).
public struct StorageClass: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var provisioner: String = ""
    public var reclaimPolicy: String?
    /// Immediate (the default) or WaitForFirstConsumer.
    public var volumeBindingMode: String?
}
