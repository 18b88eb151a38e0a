import KubeJSON

/// A meta/v1 LabelSelector over pod labels (matchLabels and matchExpressions with In, NotIn, Exists,
/// DoesNotExist). An operator it does not know matches nothing, as a selector upstream would refuse to build.
struct LabelSelector: Sendable {
    private var requirements: [NodeSelectorTerm.Requirement] = []
    private var valid = true

    /// A missing selector selects nothing (upstream's nil selector); an empty one selects everything.
    init(_ json: JSONValue?) {
        guard let json, json != .null else {
            valid = false
            return
        }
        for (key, value) in json["matchLabels"]?.object ?? [:] {
            requirements.append(.init(["key": .string(key), "operator": "In", "values": [value]]))
        }
        for expression in json["matchExpressions"]?.array ?? [] {
            let requirement = NodeSelectorTerm.Requirement(expression)
            if !["In", "NotIn", "Exists", "DoesNotExist"].contains(requirement.op) { valid = false }
            requirements.append(requirement)
        }
    }

    /// upstream's matchLabelKeys: the incoming pod's values for these keys narrow the selector.
    mutating func require(_ key: String, equals value: String) {
        requirements.append(.init(["key": .string(key), "operator": "In", "values": [.string(value)]]))
    }

    func matches(_ labels: [String: String]) -> Bool {
        valid && requirements.allSatisfy { $0.matches(labels[$0.key]) }
    }
}
