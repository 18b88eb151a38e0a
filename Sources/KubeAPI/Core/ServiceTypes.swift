/// core/v1 Service, the fields the endpoints and endpointslice controllers read.
public struct Service: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: ServiceSpec = .goZero

    public init(metadata: ObjectMeta = .goZero, spec: ServiceSpec = .goZero) {
        apiVersion = "v1"
        kind = "Service"
        self.metadata = metadata
        self.spec = spec
    }
}

public struct ServiceSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var ports: [ServicePort]?
    /// nil or empty: the Service's endpoints are someone else's.
    public var selector: [String: String]?
    /// `None` for a headless Service.
    @OmitEmpty public var clusterIP: String = ""
    @OmitEmpty public var type: String = ""
    public var ipFamilies: [String]?
    @OmitEmpty public var publishNotReadyAddresses: Bool = false

    public init() {}
    public static var goZero: ServiceSpec { .init() }

    public var isHeadless: Bool { clusterIP == "None" }
}

public struct ServicePort: Codable, Sendable, Equatable, Hashable {
    @OmitEmpty public var name: String = ""
    /// Defaulted to TCP by the apiserver.
    @OmitEmpty public var `protocol`: String = ""
    public var appProtocol: String?
    @GoValue public var port: Int32 = 0
    /// Defaulted to `port` by the apiserver; nil only in objects written around it (read as `port`).
    public var targetPort: IntOrString?
    @OmitEmpty public var nodePort: Int32 = 0

    public init(name: String = "", protocol: String = "TCP", port: Int32, targetPort: IntOrString? = nil) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.targetPort = targetPort
    }
}
