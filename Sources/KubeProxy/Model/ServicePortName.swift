/// One port of one Service, as kube-proxy names it in chain hashes and rule comments: `ns/name:port`, or
/// `ns/name` when the port has no name (upstream's ServicePortName.String()).
public struct ServicePortName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public var port: String

    public init(namespace: String, name: String, port: String) {
        self.namespace = namespace
        self.name = name
        self.port = port
    }

    public var description: String { "\(namespace)/\(name)" + (port.isEmpty ? "" : ":\(port)") }

    public static func < (a: ServicePortName, b: ServicePortName) -> Bool { a.description < b.description }
}

/// What the rules need of a Service port: where it is reached (cluster IP, node port) and how.
public struct ServicePortInfo: Sendable, Equatable {
    public var name: ServicePortName
    /// `TCP`, `UDP` or `SCTP`.
    public var `protocol`: String
    public var clusterIP: String
    public var port: Int32
    /// 0 when the Service has none (ClusterIP type).
    public var nodePort: Int32

    public init(name: ServicePortName, protocol: String, clusterIP: String, port: Int32, nodePort: Int32 = 0) {
        self.name = name
        self.protocol = `protocol`
        self.clusterIP = clusterIP
        self.port = port
        self.nodePort = nodePort
    }

    /// iptables' spelling of the protocol (`-p tcp`, `-m tcp`).
    public var iptablesProtocol: String { self.protocol.lowercased() }
}

/// One backend of a Service port, from an EndpointSlice.
public struct EndpointInfo: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var ip: String
    public var port: Int32
    public var ready: Bool
    public var serving: Bool
    public var terminating: Bool

    public init(ip: String, port: Int32, ready: Bool = true, serving: Bool = true, terminating: Bool = false) {
        self.ip = ip
        self.port = port
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
    }

    /// `ip:port`, as in the chain hash and the `ns/svc:p -> ip:port` comment.
    public var description: String { ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)" }

    public static func < (a: EndpointInfo, b: EndpointInfo) -> Bool { a.description < b.description }
}
