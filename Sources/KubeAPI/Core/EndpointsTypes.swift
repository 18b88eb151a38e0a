/// core/v1 Endpoints, as the endpoints controller writes it.
public struct Endpoints: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    public var subsets: [EndpointSubset]?

    public init(metadata: ObjectMeta = .goZero, subsets: [EndpointSubset]? = nil) {
        apiVersion = "v1"
        kind = "Endpoints"
        self.metadata = metadata
        self.subsets = subsets
    }
}

public struct EndpointSubset: Codable, Sendable, Equatable, Hashable {
    public var addresses: [EndpointAddress]?
    public var notReadyAddresses: [EndpointAddress]?
    public var ports: [EndpointPort]?

    public init(addresses: [EndpointAddress]? = nil, notReadyAddresses: [EndpointAddress]? = nil, ports: [EndpointPort]? = nil) {
        self.addresses = addresses
        self.notReadyAddresses = notReadyAddresses
        self.ports = ports
    }
}

public struct EndpointAddress: Codable, Sendable, Equatable, Hashable {
    @GoValue public var ip: String = ""
    @OmitEmpty public var hostname: String = ""
    public var nodeName: String?
    public var targetRef: ObjectReference?

    public init(ip: String, hostname: String = "", nodeName: String? = nil, targetRef: ObjectReference? = nil) {
        self.ip = ip
        self.hostname = hostname
        self.nodeName = nodeName
        self.targetRef = targetRef
    }
}

/// core/v1 EndpointPort (discovery/v1's is `Discovery.EndpointPort`).
public struct EndpointPort: Codable, Sendable, Equatable, Hashable {
    @OmitEmpty public var name: String = ""
    @GoValue public var port: Int32 = 0
    @OmitEmpty public var `protocol`: String = ""
    public var appProtocol: String?

    public init(name: String = "", port: Int32, protocol: String, appProtocol: String? = nil) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
        self.appProtocol = appProtocol
    }
}
