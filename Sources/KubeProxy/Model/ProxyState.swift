import KubeAPI
import KubeJSON
import Logging

/// The Service ports this node proxies and the endpoints each may send to, built from the informers' Services and
/// EndpointSlices (upstream's ServicePortMap and EndpointsMap). IPv4 only: this kube-proxy programs `iptables`, not
/// `ip6tables`.
public struct ProxyState: Sendable, Equatable {
    public var services: [ServicePortName: ServicePortInfo] = [:]
    /// Every endpoint the slices list for a port, sorted by `ip:port`; `usableEndpoints` picks those traffic may use.
    public var endpoints: [ServicePortName: [EndpointInfo]] = [:]

    public init(services: [ServicePortName: ServicePortInfo] = [:], endpoints: [ServicePortName: [EndpointInfo]] = [:]) {
        self.services = services
        self.endpoints = endpoints
    }

    /// The label an EndpointSlice names its Service with.
    public static let serviceNameLabel = "kubernetes.io/service-name"

    /// Objects that do not decode are skipped with a log line, never stopping the sync.
    public static func build(services serviceObjects: [JSONValue], slices sliceObjects: [JSONValue], logger: Logger) -> ProxyState {
        var state = ProxyState()
        for object in serviceObjects {
            let service: Service
            do { service = try Service(json: object) } catch {
                logger.error("Skipping a Service that does not decode", metadata: ["service": "\(key(object))", "err": "\(error)"])
                continue
            }
            for info in portInfos(service) { state.services[info.name] = info }
        }
        var seen: [ServicePortName: Set<EndpointInfo>] = [:]
        for object in sliceObjects {
            let slice: EndpointSlice
            do { slice = try EndpointSlice(json: object) } catch {
                logger.error("Skipping an EndpointSlice that does not decode", metadata: ["endpointslice": "\(key(object))", "err": "\(error)"])
                continue
            }
            guard slice.addressType == "IPv4", let serviceName = slice.metadata.labels?[serviceNameLabel], !serviceName.isEmpty else { continue }
            for port in slice.ports ?? [] {
                guard let number = port.port, (1...65535).contains(number) else { continue }
                let name = ServicePortName(namespace: slice.metadata.namespace ?? "", name: serviceName, port: port.name ?? "")
                for endpoint in slice.endpoints {
                    guard let ip = endpoint.addresses.first, IPv4.isValid(ip) else { continue }
                    // Upstream's reading of unset conditions: ready unless said otherwise, serving as ready, not terminating.
                    let ready = endpoint.conditions.ready ?? true
                    let info = EndpointInfo(ip: ip, port: number, ready: ready, serving: endpoint.conditions.serving ?? ready,
                                            terminating: endpoint.conditions.terminating ?? false)
                    seen[name, default: []].insert(info)
                }
            }
        }
        for (name, set) in seen {
            // One ip:port listed by two slices (a slice being replaced) counts once, the readier one.
            var byAddress: [String: EndpointInfo] = [:]
            for info in set.sorted(by: { $0.ready && !$1.ready }) where byAddress[info.description] == nil {
                byAddress[info.description] = info
            }
            state.endpoints[name] = byAddress.values.sorted()
        }
        return state
    }

    /// The endpoints traffic to `name` goes to: the ready ones, or, when none is ready, those still serving while
    /// terminating (upstream's CategorizeEndpoints for the Cluster traffic policy).
    public func usableEndpoints(_ name: ServicePortName) -> [EndpointInfo] {
        let all = endpoints[name] ?? []
        let ready = all.filter(\.ready)
        return ready.isEmpty ? all.filter { $0.serving && $0.terminating } : ready
    }

    /// The ports of a Service that has a cluster IP kube-proxy can program (upstream's ShouldSkipService: no
    /// headless, ExternalName or IP-less Services).
    static func portInfos(_ service: Service) -> [ServicePortInfo] {
        let spec = service.spec
        guard spec.type != "ExternalName", IPv4.isValid(spec.clusterIP) else { return [] }
        let namespace = service.metadata.namespace ?? "", name = service.metadata.name ?? ""
        let hasNodePorts = spec.type == "NodePort" || spec.type == "LoadBalancer"
        return (spec.ports ?? []).compactMap { port in
            guard (1...65535).contains(port.port) else { return nil }
            let proto = port.protocol.isEmpty ? "TCP" : port.protocol
            guard ["TCP", "UDP", "SCTP"].contains(proto) else { return nil }
            let nodePort = hasNodePorts && (1...65535).contains(port.nodePort) ? port.nodePort : 0
            return ServicePortInfo(name: ServicePortName(namespace: namespace, name: name, port: port.name), protocol: proto,
                                   clusterIP: spec.clusterIP, port: port.port, nodePort: nodePort)
        }
    }

    static func key(_ object: JSONValue) -> String {
        let namespace = object[path: ["metadata", "namespace"]]?.string ?? ""
        let name = object[path: ["metadata", "name"]]?.string ?? ""
        return namespace.isEmpty ? name : "\(namespace)/\(name)"
    }
}

/// Dotted-quad IPv4 text, as the rules write it.
enum IPv4 {
    static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
        }
    }

    /// `10.244.0.0/16`: an IPv4 network with a prefix length.
    static func isValidCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, isValid(String(parts[0])), let length = Int(parts[1]) else { return false }
        return (0...32).contains(length)
    }
}
