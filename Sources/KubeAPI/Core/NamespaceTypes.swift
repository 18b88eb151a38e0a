/// core/v1 Namespace, what the namespace controller reads (the finalizers it removes once the namespace is empty).
public struct Namespace: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: NamespaceSpec = .goZero
    @GoValue public var status: NamespaceStatus = .goZero

    public init(metadata: ObjectMeta = .goZero, spec: NamespaceSpec = .goZero) {
        apiVersion = "v1"
        kind = "Namespace"
        self.metadata = metadata
        self.spec = spec
    }
}

public struct NamespaceSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var finalizers: [String]?

    public init(finalizers: [String]? = nil) { self.finalizers = finalizers }
    public static var goZero: NamespaceSpec { .init() }
}

public struct NamespaceStatus: Codable, Sendable, Equatable, GoZeroValue {
    /// Active or Terminating.
    @OmitEmpty public var phase: String = ""
    public var conditions: [NamespaceCondition]?

    public init() {}
    public static var goZero: NamespaceStatus { .init() }
}

public struct NamespaceCondition: Codable, Sendable, Equatable {
    @GoValue public var type: String = ""
    @GoValue public var status: String = ""
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?
}
