import KubeJSON

/// How upstream's endpoints controller builds `subsets`: one subset per (address, port), then RepackSubsets groups
/// addresses offering the same ports, ready ones under `addresses`, the rest under `notReadyAddresses`.
enum EndpointSubsets {
    struct Address: Hashable {
        var address: JSONValue
        var ready: Bool
        /// Upstream's addressKey: the IP and the target's UID.
        var key: String { (address["ip"]?.string ?? "") + "/" + (address[path: ["targetRef", "uid"]]?.string ?? "") }
    }

    /// podutil.FindPort: a numeric targetPort is itself; a named one is the container port of that name and protocol.
    static func findPort(pod: JSONValue, servicePort: JSONValue) -> Int? {
        let target = servicePort["targetPort"] ?? servicePort["port"] ?? .null
        switch target {
        case .string(let name):
            let proto = servicePort["protocol"]?.string ?? "TCP"
            for container in pod[path: ["spec", "containers"]]?.array ?? [] {
                for port in container["ports"]?.array ?? []
                where port["name"]?.string == name && (port["protocol"]?.string ?? "TCP") == proto {
                    if let number = Lifecycle.int32(port["containerPort"]), number > 0 { return number }
                }
            }
            return nil
        default:
            guard let number = Lifecycle.int32(target), number > 0 else { return nil }
            return number
        }
    }

    /// endpointPortFromServicePort.
    static func endpointPort(_ servicePort: JSONValue, _ number: Int) -> JSONValue {
        var port: JSONValue = ["port": .int(Int64(number)), "protocol": servicePort["protocol"] ?? "TCP"]
        if let name = servicePort["name"]?.string, !name.isEmpty { port["name"] = .string(name) }
        if let appProtocol = servicePort["appProtocol"]?.string { port["appProtocol"] = .string(appProtocol) }
        return port
    }

    /// RepackSubsets: addresses grouped by the set of ports they offer (a port-less address under a sentinel),
    /// sorted so that the same input always gives the same object.
    static func repack(_ entries: [(address: Address, port: JSONValue?)]) -> [JSONValue] {
        var portsByAddress: [String: (Address, Set<JSONValue>)] = [:]
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
        var groups: [Set<JSONValue>: [Address]] = [:]
        for key in order {
            guard let entry = portsByAddress[key] else { continue }
            groups[entry.1, default: []].append(entry.0)
        }
        var subsets: [JSONValue] = []
        for (ports, addresses) in groups {
            let sorted = addresses.sorted { $0.key < $1.key }
            let ready = sorted.filter(\.ready).map(\.address)
            let notReady = sorted.filter { !$0.ready }.map(\.address)
            var subset: JSONValue = .emptyObject
            if !ready.isEmpty { subset["addresses"] = .array(ready) }
            if !notReady.isEmpty { subset["notReadyAddresses"] = .array(notReady) }
            if !ports.isEmpty {
                subset["ports"] = .array(ports.sorted { portOrder($0) < portOrder($1) })
            }
            subsets.append(subset)
        }
        return subsets.sorted { subsetOrder($0) < subsetOrder($1) }
    }

    private static func portOrder(_ port: JSONValue) -> String {
        "\(port["name"]?.string ?? "")/\(port["port"]?.int ?? 0)/\(port["protocol"]?.string ?? "")"
    }

    private static func subsetOrder(_ subset: JSONValue) -> String {
        let first = subset["addresses"]?.array?.first ?? subset["notReadyAddresses"]?.array?.first
        return (first?["ip"]?.string ?? "") + "|" + (subset["ports"]?.array?.map(portOrder).joined(separator: ",") ?? "")
    }
}
