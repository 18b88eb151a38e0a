import KubeAPI

/// How upstream's endpoints controller builds `subsets`: one subset per (address, port), then RepackSubsets groups
/// addresses offering the same ports, ready ones under `addresses`, the rest under `notReadyAddresses`.
enum EndpointSubsets {
    struct Address: Hashable {
        var address: EndpointAddress
        var ready: Bool
        /// Upstream's addressKey: the IP and the target's UID.
        var key: String { address.ip + "/" + (address.targetRef?.uid ?? "") }
    }

    /// podutil.FindPort: a numeric targetPort is itself; a named one is the container port of that name and protocol.
    static func findPort(pod: EndpointPod, servicePort: ServicePort) -> Int32? {
        switch servicePort.targetPort ?? .int(Int(servicePort.port)) {
        case .string(let name):
            let proto = servicePort.protocol.isEmpty ? "TCP" : servicePort.protocol
            for container in pod.containers {
                for port in container.ports ?? [] where port.name == name && (port.protocol ?? "TCP") == proto {
                    if port.containerPort > 0 { return port.containerPort }
                }
            }
            return nil
        case .int(let number):
            guard number > 0 else { return nil }
            return Int32(clamping: number)
        }
    }

    /// endpointPortFromServicePort.
    static func endpointPort(_ servicePort: ServicePort, _ number: Int32) -> EndpointPort {
        EndpointPort(name: servicePort.name, port: number, protocol: servicePort.protocol.isEmpty ? "TCP" : servicePort.protocol,
                     appProtocol: servicePort.appProtocol)
    }

    /// RepackSubsets: addresses grouped by the set of ports they offer (a port-less address under a sentinel),
    /// sorted so that the same input always gives the same object.
    static func repack(_ entries: [(address: Address, port: EndpointPort?)]) -> [EndpointSubset] {
        var portsByAddress: [String: (Address, Set<EndpointPort>)] = [:]
        var order: [String] = []
        for (address, port) in entries {
            let key = address.key
            if portsByAddress[key] == nil {
                portsByAddress[key] = (address, [])
                order.append(key)
            }
            if let port { portsByAddress[key]?.1.insert(port) }
        }
        // Addresses offering the same ports share a subset.
        var groups: [Set<EndpointPort>: [Address]] = [:]
        for key in order {
            guard let entry = portsByAddress[key] else { continue }
            groups[entry.1, default: []].append(entry.0)
        }
        var subsets: [EndpointSubset] = []
        for (ports, addresses) in groups {
            let sorted = addresses.sorted { $0.key < $1.key }
            let ready = sorted.filter(\.ready).map(\.address)
            let notReady = sorted.filter { !$0.ready }.map(\.address)
            subsets.append(EndpointSubset(addresses: ready.isEmpty ? nil : ready, notReadyAddresses: notReady.isEmpty ? nil : notReady,
                                          ports: ports.isEmpty ? nil : ports.sorted { portOrder($0) < portOrder($1) }))
        }
        return subsets.sorted { subsetOrder($0) < subsetOrder($1) }
    }

    private static func portOrder(_ port: EndpointPort) -> String {
        "\(port.name)/\(port.port)/\(port.protocol)"
    }

    private static func subsetOrder(_ subset: EndpointSubset) -> String {
        let first = subset.addresses?.first ?? subset.notReadyAddresses?.first
        return (first?.ip ?? "") + "|" + (subset.ports?.map(portOrder).joined(separator: ",") ?? "")
    }
}
