/// discovery.k8s.io/v1, as the endpointslice controller writes it: `Discovery.EndpointPort` is upstream's
/// discoveryv1.EndpointPort, apart from core/v1's `EndpointPort`.
public enum Discovery {}

/// discovery/v1 EndpointSlice. Slices are rewritten as stored (their JSON) with these parts replaced, so fields
/// Kubestrap does not model (hints, say) survive on slices it keeps.
public struct EndpointSlice: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var addressType: String = ""
    @GoValue public var endpoints: [Endpoint] = []
    public var ports: [Discovery.EndpointPort]?

    public init(metadata: ObjectMeta = .goZero, addressType: String, endpoints: [Endpoint] = [], ports: [Discovery.EndpointPort]? = nil) {
        apiVersion = "discovery.k8s.io/v1"
        kind = "EndpointSlice"
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }
}

public struct Endpoint: Codable, Sendable, Equatable, Hashable {
    @GoValue public var addresses: [String] = []
    @GoValue public var conditions: EndpointConditions = .goZero
    public var hostname: String?
    public var targetRef: ObjectReference?
    public var nodeName: String?
    public var zone: String?

    public init(addresses: [String], conditions: EndpointConditions = .goZero, hostname: String? = nil, targetRef: ObjectReference? = nil,
                nodeName: String? = nil, zone: String? = nil) {
        self.addresses = addresses
        self.conditions = conditions
        self.hostname = hostname
        self.targetRef = targetRef
        self.nodeName = nodeName
        self.zone = zone
    }
}

public struct EndpointConditions: Codable, Sendable, Equatable, Hashable, GoZeroValue {
    public var ready: Bool?
    public var serving: Bool?
    public var terminating: Bool?

    public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
    }

    public static var goZero: EndpointConditions { .init() }
}

extension Discovery {
    public struct EndpointPort: Codable, Sendable, Equatable, Hashable {
        public var name: String?
        public var `protocol`: String?
        public var port: Int32?
        public var appProtocol: String?

        public init(name: String? = nil, protocol: String? = nil, port: Int32? = nil, appProtocol: String? = nil) {
            self.name = name
            self.protocol = `protocol`
            self.port = port
            self.appProtocol = appProtocol
        }
    }
}
