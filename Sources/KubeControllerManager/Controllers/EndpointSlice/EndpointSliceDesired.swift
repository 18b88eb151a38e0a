import ControllerRuntime
import KubeJSON

/// What a Service's slices should hold (upstream's podToEndpoint, getEndpointPorts and getAddressTypesForService):
/// per address type, the endpoints grouped by the ports they offer.
struct DesiredEndpoints {
    /// One port set (a pod whose named target port resolves differently lands in another group).
    struct Group {
        var ports: [JSONValue]
        var endpoints: [JSONValue]
    }

    /// addressType → ports key → group.
    var groups: [String: [String: Group]] = [:]
    /// Pods left out because their node is not known yet; the Service is synced again later.
    var podsOnUnknownNodes: [String] = []

    /// getAddressTypesForService: the Service's ipFamilies; without them the clusterIP's family, and both for a
    /// headless Service (a controller ahead of its apiserver must not drop the slices it has).
    static func addressTypes(_ service: JSONValue) -> [String] {
        let families = (service[path: ["spec", "ipFamilies"]]?.array ?? []).compactMap(\.string)
        let types = ["IPv4", "IPv6"].filter { families.contains($0) }
        if !types.isEmpty { return types }
        let clusterIP = service[path: ["spec", "clusterIP"]]?.string ?? ""
        if !clusterIP.isEmpty && clusterIP != "None" { return [clusterIP.contains(":") ? "IPv6" : "IPv4"] }
        return ["IPv4", "IPv6"]
    }

    /// A canonical form of a port list, so that slices with the same ports in another order share a group.
    static func portsKey(_ ports: [JSONValue]) -> String {
        ports.map { p in
            "\(p["name"]?.string ?? "")/\(p["port"]?.int.map(String.init) ?? "*")/\(p["protocol"]?.string ?? "")/\(p["appProtocol"]?.string ?? "")"
        }.sorted().joined(separator: ",")
    }

    /// The identity of an endpoint across syncs: its pod and addresses (conditions and zone may change in place).
    static func endpointKey(_ endpoint: JSONValue) -> String {
        let addresses = (endpoint["addresses"]?.array ?? []).compactMap(\.string).joined(separator: ",")
        return (endpoint[path: ["targetRef", "uid"]]?.string ?? "") + "|" + addresses
    }

    init(service: JSONValue, pods: [JSONValue], nodes: ObjectCache) {
        let types = Self.addressTypes(service)
        let publishNotReady = service[path: ["spec", "publishNotReadyAddresses"]]?.bool ?? false
        for pod in pods.sorted(by: { Lifecycle.name($0) < Lifecycle.name($1) }) {
            // ShouldPodBeInEndpoints(pod, includeTerminating: true).
            let ips = Self.podIPs(pod)
            guard !Lifecycle.isPodTerminal(pod), !ips.isEmpty else { continue }
            let nodeName = Lifecycle.nodeName(pod)
            let node = nodes.get(nodeName)
            // A pod naming a node that does not exist is left out (unless the Service publishes not-ready
            // addresses) so that the slice is not stuck on it, and the Service is retried.
            if node == nil, !publishNotReady {
                podsOnUnknownNodes.append(Lifecycle.name(pod))
                continue
            }
            let ports = Self.endpointPorts(service: service, pod: pod)
            let key = Self.portsKey(ports)
            for type in types {
                let addresses = ips.filter { ($0.contains(":") ? "IPv6" : "IPv4") == type }
                guard !addresses.isEmpty else { continue }
                let endpoint = Self.endpoint(pod: pod, node: node, service: service, addresses: addresses, publishNotReady: publishNotReady)
                groups[type, default: [:]][key, default: Group(ports: ports, endpoints: [])].endpoints.append(endpoint)
            }
        }
        for type in types where groups[type] == nil { groups[type] = [:] }
    }

    /// status.podIPs, or status.podIP alone as the apiserver's conversion would make podIPs of it.
    static func podIPs(_ pod: JSONValue) -> [String] {
        let ips = (pod[path: ["status", "podIPs"]]?.array ?? []).compactMap { $0["ip"]?.string }.filter { !$0.isEmpty }
        if !ips.isEmpty { return ips }
        if let ip = pod[path: ["status", "podIP"]]?.string, !ip.isEmpty { return [ip] }
        return []
    }

    /// podToEndpoint: ready only when serving and not terminating, unless the Service publishes not-ready ones.
    static func endpoint(pod: JSONValue, node: JSONValue?, service: JSONValue, addresses: [String], publishNotReady: Bool) -> JSONValue {
        let serving = Lifecycle.isPodReady(pod)
        let terminating = Lifecycle.isDeleting(pod)
        let ready = publishNotReady || (serving && !terminating)
        var endpoint: JSONValue = [
            "addresses": .array(addresses.map(JSONValue.string)),
            "conditions": ["ready": .bool(ready), "serving": .bool(serving), "terminating": .bool(terminating)],
            "targetRef": ["kind": "Pod", "namespace": .string(Lifecycle.namespace(pod)), "name": .string(Lifecycle.name(pod)),
                          "uid": .string(Lifecycle.uid(pod))],
        ]
        let nodeName = Lifecycle.nodeName(pod)
        if !nodeName.isEmpty { endpoint["nodeName"] = .string(nodeName) }
        if let zone = node.flatMap({ Lifecycle.labels($0)["topology.kubernetes.io/zone"] }), !zone.isEmpty {
            endpoint["zone"] = .string(zone)
        }
        // ShouldSetHostname: the pod names this Service as its subdomain.
        if let hostname = pod[path: ["spec", "hostname"]]?.string, !hostname.isEmpty,
           pod[path: ["spec", "subdomain"]]?.string == Lifecycle.name(service),
           Lifecycle.namespace(pod) == Lifecycle.namespace(service) {
            endpoint["hostname"] = .string(hostname)
        }
        return endpoint
    }

    /// getEndpointPorts: each Service port resolved against the pod as the Endpoints controller resolves them; a
    /// port the pod does not have is left out. Name and protocol are always set, as the apiserver defaults them.
    static func endpointPorts(service: JSONValue, pod: JSONValue) -> [JSONValue] {
        let servicePorts = service[path: ["spec", "ports"]]?.array ?? []
        return servicePorts.compactMap { servicePort in
            guard let number = EndpointSubsets.findPort(pod: pod, servicePort: servicePort) else { return nil }
            var port: JSONValue = ["name": .string(servicePort["name"]?.string ?? ""), "port": .int(Int64(number)),
                                   "protocol": .string(servicePort["protocol"]?.string ?? "TCP")]
            if let appProtocol = servicePort["appProtocol"]?.string { port["appProtocol"] = .string(appProtocol) }
            return port
        }
    }
}
