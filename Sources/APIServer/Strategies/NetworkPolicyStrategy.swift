import KubeAPI
import KubeJSON

/// networking.k8s.io/v1 NetworkPolicies: upstream's SetDefaults_NetworkPolicy (rule ports default to TCP; a policy
/// without policyTypes is an Ingress policy, and an Egress one too when it has egress rules) and its policyTypes check.
struct NetworkPolicyStrategy: ResourceStrategy {
    var tracksGeneration: Bool { true }

    func applyDefaults(_ object: inout JSONValue) {
        guard var spec = object["spec"], spec.object != nil else { return }
        for direction in ["ingress", "egress"] {
            guard var rules = spec[direction]?.array else { continue }
            for r in rules.indices {
                guard var ports = rules[r]["ports"]?.array else { continue }
                for p in ports.indices where ports[p].object != nil && (ports[p]["protocol"] == nil || ports[p]["protocol"] == .null) {
                    ports[p]["protocol"] = "TCP"
                }
                rules[r]["ports"] = .array(ports)
            }
            spec[direction] = .array(rules)
        }
        if (spec["policyTypes"]?.array ?? []).isEmpty {
            var types: [JSONValue] = ["Ingress"]
            if !(spec["egress"]?.array ?? []).isEmpty { types.append("Egress") }
            spec["policyTypes"] = .array(types)
        }
        object["spec"] = spec
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        let types = object[path: ["spec", "policyTypes"]]?.array ?? []
        if types.count > 2 {
            return [.invalid("spec.policyTypes", types.compactMap(\.string).description, "may not specify more than two policyTypes")]
        }
        var errors: [FieldError] = []
        for (i, type) in types.enumerated() where !["Ingress", "Egress"].contains(type.string ?? "") {
            errors.append(.notSupported("spec.policyTypes[\(i)]", type.string ?? "", ["Ingress", "Egress"]))
        }
        return errors
    }
}
