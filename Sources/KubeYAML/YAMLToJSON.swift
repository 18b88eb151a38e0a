import KubeJSON

extension YAMLNode {
    /// The JSON value this node stands for, as sigs.k8s.io/yaml converts YAML to JSON: plain scalars resolve to
    /// null, booleans, integers and floats; quoted, block and `!!str` scalars stay strings.
    public func jsonValue() -> JSONValue {
        switch self {
        case .scalar(let scalar):
            return scalar.jsonValue()
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for entry in mapping.entries { object[entry.key] = entry.value.jsonValue() }
            return .object(object)
        case .sequence(let sequence):
            return .array(sequence.items.map { $0.jsonValue() })
        }
    }
}

extension YAMLScalar {
    public func jsonValue() -> JSONValue {
        if isNull { return .null }
        guard isResolvable else { return .string(string) }
        switch string {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let i = Int64(string) { return .int(i) }
        if let d = Double(string), string.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), !string.hasPrefix(".") {
            return .double(d)
        }
        return .string(string)
    }
}
