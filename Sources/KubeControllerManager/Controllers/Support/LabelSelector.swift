import KubeJSON

/// A meta/v1 LabelSelector (`matchLabels`, `matchExpressions` with In, NotIn, Exists, DoesNotExist) as controllers
/// match pods with it. An empty selector matches everything; callers that must not adopt everything check `isEmpty`.
struct LabelSelector: Sendable, Equatable {
    enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case `in`(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    var requirements: [Requirement]
    var isEmpty: Bool { requirements.isEmpty }

    /// nil when an expression's operator is unknown or a value is not a string.
    init?(labelSelector json: JSONValue) {
        var requirements: [Requirement] = []
        for (key, value) in (json["matchLabels"]?.object ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let v = value.string else { return nil }
            requirements.append(.equals(key, v))
        }
        for expression in json["matchExpressions"]?.array ?? [] {
            guard let key = expression["key"]?.string else { return nil }
            let values = Set(expression["values"]?.array?.compactMap(\.string) ?? [])
            switch expression["operator"]?.string {
            case "In": requirements.append(.in(key, values))
            case "NotIn": requirements.append(.notIn(key, values))
            case "Exists": requirements.append(.exists(key))
            case "DoesNotExist": requirements.append(.doesNotExist(key))
            default: return nil
            }
        }
        self.requirements = requirements
    }

    /// A map selector (a Service's `spec.selector`, a ReplicationController's).
    init(matchLabels: [String: String]) {
        requirements = matchLabels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            switch r {
            case .equals(let k, let v): return labels[k] == v
            case .in(let k, let values): return labels[k].map(values.contains) ?? false
            case .notIn(let k, let values): return !(labels[k].map(values.contains) ?? false)
            case .exists(let k): return labels[k] != nil
            case .doesNotExist(let k): return labels[k] == nil
            }
        }
    }
}
