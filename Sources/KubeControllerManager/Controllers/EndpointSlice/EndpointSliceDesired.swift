import ControllerRuntime
import KubeAPI
import KubeJSON

/// What a Service's slices should hold (upstream's podToEndpoint, getEndpointPorts and getAddressTypesForService):
/// per address type, the endpoints grouped by the ports they offer.
struct DesiredEndpoints {
    /// One port set (a pod whose named target port resolves differently lands in another group).
    struct Group {
        var ports: [Discovery.EndpointPort]
        var endpoints: [Endpoint]
    }

    /// addressType → ports key → group.
    var groups: [String: [String: Group]] = [:]
    /// Pods left out because their node is not known yet; the Service is synced again later.
    var podsOnUnknownNodes: [String] = []

    /// getAddressTypesForService: the Service's ipFamilies; without them the clusterIP's family, and both for a
    /// headless Service (a controller ahead of its apiserver must not drop the slices it has).
    static func addressTypes(_ spec: ServiceSpec) -> [String] {
        let families = spec.ipFamilies ?? []
        let types = ["IPv4", "IPv6"].filter { families.contains($0) }
        if !types.isEmpty { return types }
        if !spec.clusterIP.isEmpty && !spec.isHeadless { return [spec.clusterIP.contains(":") ? "IPv6" : "IPv4"] }
        return ["IPv4", "IPv6"]
    }

    /// A canonical form of a port list, so that slices with the same ports in another order share a group.
    static func portsKey(_ ports: [Discovery.EndpointPort]) -> String {
        ports.map { p in
            "\(p.name ?? "")/\(p.port.map(String.init) ?? "*")/\(p.protocol ?? "")/\(p.appProtocol ?? "")"
        }.sorted().joined(separator: ",")
    }

    /// The identity of an endpoint across syncs: its pod and addresses (conditions and zone may change in place).
    static func endpointKey(_ endpoint: Endpoint) -> String {
        (endpoint.targetRef?.uid ?? "") + "|" + endpoint.addresses.joined(separator: ",")
    }

    init(service: Service, pods: [EndpointPod], nodes: ObjectCache) {
        let types = Self.addressTypes(service.spec)
        let publishNotReady = service.spec.publishNotReadyAddresses
        for pod in pods.sorted(by: { $0.name < $1.name }) {
            // ShouldPodBeInEndpoints(pod, includeTerminating: true).
            let ips = Self.podIPs(pod)
            guard !pod.isTerminal, !ips.isEmpty else { continue }
            let node = nodes.get(pod.nodeName)
            // A pod naming a node that does not exist is left out (unless the Service publishes not-ready
            // addresses) so that the slice is not stuck on it, and the Service is retried.
            if node == nil, !publishNotReady {
                podsOnUnknownNodes.append(pod.name)
                continue
            }
            let ports = Self.endpointPorts(service: service.spec, pod: pod)
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
    static func podIPs(_ pod: EndpointPod) -> [String] {
        let ips = pod.podIPs.filter { !$0.isEmpty }
        if !ips.isEmpty { return ips }
        return pod.podIP.isEmpty ? [] : [pod.podIP]
    }

    /// podToEndpoint: ready only when serving and not terminating, unless the Service publishes not-ready ones.
    static func endpoint(pod: EndpointPod, node: JSONValue?, service: Service, addresses: [String], publishNotReady: Bool) -> Endpoint {
        let serving = pod.isReady
        let terminating = pod.isDeleting
        let ready = publishNotReady || (serving && !terminating)
        var endpoint = Endpoint(addresses: addresses, conditions: EndpointConditions(ready: ready, serving: serving, terminating: terminating),
                                targetRef: pod.reference)
        if !pod.nodeName.isEmpty { endpoint.nodeName = pod.nodeName }
        // The node's labels only: a node is not decoded for a zone.
        if let zone = node?.metaLabels["topology.kubernetes.io/zone"], !zone.isEmpty { endpoint.zone = zone }
        // ShouldSetHostname: the pod names this Service as its subdomain.
        if !pod.hostname.isEmpty, pod.subdomain == service.metadata.name, pod.namespace == service.metadata.namespace {
            endpoint.hostname = pod.hostname
        }
        return endpoint
    }

    /// getEndpointPorts: each Service port resolved against the pod as the Endpoints controller resolves them; a
    /// port the pod does not have is left out. Name and protocol are always set, as the apiserver defaults them.
    static func endpointPorts(service: ServiceSpec, pod: EndpointPod) -> [Discovery.EndpointPort] {
        (service.ports ?? []).compactMap { servicePort in
            guard let number = EndpointSubsets.findPort(pod: pod, servicePort: servicePort) else { return nil }
            return Discovery.EndpointPort(name: servicePort.name, protocol: servicePort.protocol.isEmpty ? "TCP" : servicePort.protocol,
                                          port: number, appProtocol: servicePort.appProtocol)
        }
    }
}
