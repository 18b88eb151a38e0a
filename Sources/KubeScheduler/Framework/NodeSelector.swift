import KubeJSON

/// core/v1 NodeSelector: the terms are ORed; a node matches when any term does.
public struct NodeSelector: Sendable {
    public var terms: [NodeSelectorTerm]

    init(_ json: JSONValue) {
        terms = (json["nodeSelectorTerms"]?.array ?? []).map(NodeSelectorTerm.init)
    }

    /// upstream: a selector with no terms matches nothing, and an empty term matches nothing either.
    func matches(name: String, labels: [String: String]) -> Bool {
        terms.contains { $0.matches(name: name, labels: labels) }
    }
}

/// core/v1 NodeSelectorTerm: matchExpressions on labels and matchFields (only `metadata.name`) ANDed.
public struct NodeSelectorTerm: Sendable {
    struct Requirement: Sendable {
        var key: String
        var op: String
        var values: [String]

        init(_ json: JSONValue) {
            key = json["key"]?.string ?? ""
            op = json["operator"]?.string ?? ""
            values = json["values"]?.array?.compactMap(\.string) ?? []
        }

        /// upstream's nodeSelectorRequirementsAsSelector semantics; an operator it does not know never matches.
        func matches(_ value: String?) -> Bool {
            switch op {
            case "In": return value.map(values.contains) ?? false
            case "NotIn": return !(value.map(values.contains) ?? false)
            case "Exists": return value != nil
            case "DoesNotExist": return value == nil
            case "Gt", "Lt":
                guard values.count == 1, let bound = Int64(values[0]), let value, let number = Int64(value) else { return false }
                return op == "Gt" ? number > bound : number < bound
            default: return false
            }
        }
    }

    var expressions: [Requirement]
    var fields: [Requirement]

    init(_ json: JSONValue) {
        expressions = (json["matchExpressions"]?.array ?? []).map(Requirement.init)
        fields = (json["matchFields"]?.array ?? []).map(Requirement.init)
    }

    func matches(name: String, labels: [String: String]) -> Bool {
        if expressions.isEmpty && fields.isEmpty { return false }
        for r in expressions where !r.matches(labels[r.key]) { return false }
        for r in fields {
            guard r.key == "metadata.name", r.op == "In" || r.op == "NotIn", r.matches(name) else { return false }
        }
        return true
    }
}
