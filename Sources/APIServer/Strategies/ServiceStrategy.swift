import KubeAPI
import KubeJSON

/// Services: DNS-1035 names, port defaults, an immutable clusterIP (allocated by `ServiceIPAllocator` admission).
struct ServiceStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }

    func validateName(_ name: String) -> String? { NameRules.dns1035Label(name) }

    func prepareForCreate(_ object: inout JSONValue) { object["status"] = ["loadBalancer": .emptyObject] }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"] ?? .emptyObject
        if spec["type"] == nil { spec["type"] = "ClusterIP" }
        if spec["sessionAffinity"] == nil { spec["sessionAffinity"] = "None" }
        if spec["internalTrafficPolicy"] == nil, spec["type"]?.string != "ExternalName" { spec["internalTrafficPolicy"] = "Cluster" }
        if spec["type"]?.string == "LoadBalancer", spec["allocateLoadBalancerNodePorts"] == nil || spec["allocateLoadBalancerNodePorts"] == .null {
            spec["allocateLoadBalancerNodePorts"] = true
        }
        if var ports = spec["ports"]?.array {
            for i in ports.indices {
                if ports[i]["protocol"] == nil { ports[i]["protocol"] = "TCP" }
                // SetDefaults_Service: IntOrString's zero values (0 or "") mean unset, as a missing targetPort does.
                let target = ports[i]["targetPort"]
                if target == nil || target == .null || target == .int(0) || target == .string(""), let port = ports[i]["port"] {
                    ports[i]["targetPort"] = port
                }
            }
            spec["ports"] = .array(ports)
        }
        object["spec"] = spec
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? .null
        let types = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]
        let type = spec["type"]?.string ?? "ClusterIP"
        if !types.contains(type) { errors.append(.notSupported("spec.type", type, types)) }
        let ports = spec["ports"]?.array ?? []
        let headless = spec["clusterIP"]?.string == "None"
        if ports.isEmpty, type != "ExternalName", !headless { errors.append(.required("spec.ports")) }
        var names = Set<String>()
        for (i, port) in ports.enumerated() {
            errors += NumericValidation.port(port["port"], field: "spec.ports[\(i)].port")
            errors += NumericValidation.portNumberOrName(port["targetPort"], field: "spec.ports[\(i)].targetPort")
            if let nodePort = port["nodePort"]?.int, nodePort != 0 {
                if type == "ClusterIP" {
                    errors.append(.forbidden("spec.ports[\(i)].nodePort", "may not be used when `type` is 'ClusterIP'"))
                } else {
                    // The allocator checks the range (`--service-node-port-range`) of a port the Service did not have.
                    errors += NumericValidation.port(port["nodePort"], field: "spec.ports[\(i)].nodePort")
                }
            }
            let name = port["name"]?.string ?? ""
            if ports.count > 1, name.isEmpty { errors.append(.required("spec.ports[\(i)].name")) }
            if !name.isEmpty, !names.insert(name).inserted { errors.append(.duplicate("spec.ports[\(i)].name", name)) }
            let protocols = ["TCP", "UDP", "SCTP"]
            if let p = port["protocol"]?.string, !protocols.contains(p) { errors.append(.notSupported("spec.ports[\(i)].protocol", p, protocols)) }
        }
        return errors
    }

    /// A spec left as stored is not judged again (see `specUnchanged`): a Service an older binary stored with a port
    /// today's rules refuse can still lose its finalizers, so its namespace can go.
    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = specUnchanged(object, old, defaulted: applyDefaults) ? [] : validate(object)
        let oldIP = old[path: ["spec", "clusterIP"]]?.string ?? ""
        let newIP = object[path: ["spec", "clusterIP"]]?.string ?? ""
        if !oldIP.isEmpty, newIP != oldIP {
            errors.append(.invalid("spec.clusterIPs[0]", newIP, "may not change once set"))
        }
        return errors
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        object["status"] = old["status"]
        // A client that sends the object without clusterIP (apply of a manifest) keeps the allocated one.
        if (object[path: ["spec", "clusterIP"]]?.string ?? "").isEmpty {
            object[path: ["spec", "clusterIP"]] = old[path: ["spec", "clusterIP"]]
            object[path: ["spec", "clusterIPs"]] = old[path: ["spec", "clusterIPs"]]
        }
        for field in ["ipFamilies", "ipFamilyPolicy"] where object[path: ["spec", field]] == nil {
            object[path: ["spec", field]] = old[path: ["spec", field]]
        }
        Self.dropTypeDependentFields(&object, old: old)
        Self.patchAllocatedNodePorts(&object, old: old)
    }

    /// upstream's patchAllocatedValues for node ports: a port sent without one (an apply of a manifest) keeps the one
    /// its name had, unless another port of the update uses it.
    static func patchAllocatedNodePorts(_ object: inout JSONValue, old: JSONValue) {
        guard needsNodePorts(old), needsNodePorts(object), var ports = object[path: ["spec", "ports"]]?.array else { return }
        let used = nodePorts(old).intersection(nodePorts(object))
        var byName: [String: Int64] = [:]
        for port in old[path: ["spec", "ports"]]?.array ?? [] {
            byName[port["name"]?.string ?? ""] = port["nodePort"]?.int ?? 0
        }
        for i in ports.indices where (ports[i]["nodePort"]?.int ?? 0) == 0 {
            if let was = byName[ports[i]["name"]?.string ?? ""], was != 0, !used.contains(was) { ports[i]["nodePort"] = .int(was) }
        }
        object[path: ["spec", "ports"]] = .array(ports)
    }

    static func type(_ service: JSONValue) -> String { service[path: ["spec", "type"]]?.string ?? "ClusterIP" }

    static func needsNodePorts(_ service: JSONValue) -> Bool { ["NodePort", "LoadBalancer"].contains(type(service)) }

    static func nodePorts(_ service: JSONValue) -> Set<Int64> {
        Set((service[path: ["spec", "ports"]]?.array ?? []).compactMap { $0["nodePort"]?.int }.filter { $0 != 0 })
    }

    /// upstream's dropTypeDependentFields: a Service leaving NodePort or LoadBalancer for a type without node ports
    /// loses the node ports it had, when the update adds none of its own (a client that changes only `type` sends
    /// the allocated ones back; one that asks for a new node port is told it may not have one).
    static func dropTypeDependentFields(_ object: inout JSONValue, old: JSONValue) {
        guard needsNodePorts(old), !needsNodePorts(object), nodePorts(old).isSuperset(of: nodePorts(object)),
              var ports = object[path: ["spec", "ports"]]?.array else { return }
        for i in ports.indices where ports[i]["nodePort"] != nil { ports[i]["nodePort"] = nil }
        object[path: ["spec", "ports"]] = .array(ports)
    }
}
