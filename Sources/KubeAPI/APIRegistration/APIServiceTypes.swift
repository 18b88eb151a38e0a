/// apiregistration.k8s.io/v1 APIService: a group/version the kube-apiserver serves itself (`service` nil, "Local") or
/// proxies to a Service in the cluster (an aggregated API server).
public struct APIService: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: APIServiceSpec = .goZero
    @GoValue public var status: APIServiceStatus = .goZero

    public init(metadata: ObjectMeta = .goZero, spec: APIServiceSpec = .goZero) {
        apiVersion = "apiregistration.k8s.io/v1"
        kind = "APIService"
        self.metadata = metadata
        self.spec = spec
    }

    /// The Available condition, if any has been written.
    public var available: APIServiceCondition? { status.conditions?.first { $0.type == "Available" } }
    public var isAvailable: Bool { available?.status == "True" }
}

public struct APIServiceSpec: Codable, Sendable, Equatable, GoZeroValue {
    /// nil for an APIService the kube-apiserver serves itself.
    public var service: ServiceReference?
    @OmitEmpty public var group: String = ""
    @OmitEmpty public var version: String = ""
    @OmitEmpty public var insecureSkipTLSVerify: Bool = false
    /// Base64 of PEM certificates (Go's []byte), the CA that signed the backend's serving certificate.
    public var caBundle: String?
    @GoValue public var groupPriorityMinimum: Int32 = 0
    @GoValue public var versionPriority: Int32 = 0

    public init() {}
    public static var goZero: APIServiceSpec { .init() }
}

public struct ServiceReference: Codable, Sendable, Equatable, Hashable {
    @OmitEmpty public var namespace: String = ""
    @OmitEmpty public var name: String = ""
    /// Defaulted to 443 by the apiserver.
    public var port: Int32?

    public init(namespace: String, name: String, port: Int32? = 443) {
        self.namespace = namespace
        self.name = name
        self.port = port
    }
}

public struct APIServiceStatus: Codable, Sendable, Equatable, GoZeroValue {
    public var conditions: [APIServiceCondition]?

    public init() {}
    public static var goZero: APIServiceStatus { .init() }
}

public struct APIServiceCondition: Codable, Sendable, Equatable {
    @GoValue public var type: String = ""
    @GoValue public var status: String = ""
    public var lastTransitionTime: String?
    @OmitEmpty public var reason: String = ""
    @OmitEmpty public var message: String = ""

    public init(type: String, status: String, lastTransitionTime: String?, reason: String, message: String) {
        self.type = type
        self.status = status
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}
