import KubeJSON

/// Namespace for what the lifecycle controllers share (selectors, pod and condition helpers, quantities); nested so
/// that helpers other controllers define under the same module cannot clash with these names.
enum Lifecycle {}

extension Lifecycle {
    /// A label selector as upstream's labels.Selector: either a Service's `spec.selector` map, or a meta/v1
    /// LabelSelector (`matchLabels`, `matchExpressions` with In, NotIn, Exists, DoesNotExist).
    struct Selector: Sendable, Equatable {
        enum Requirement: Sendable, Equatable {
            case equals(String, String)
            case `in`(String, Set<String>)
            case notIn(String, Set<String>)
            case exists(String)
            case doesNotExist(String)
        }

        var requirements: [Requirement]

        /// A Service's selector (a map of equalities); nil when the value is not a map of strings.
        init?(map json: JSONValue) {
            guard let labels = json.stringMap else { return nil }
            requirements = labels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }
        }

        /// A meta/v1 LabelSelector; nil when it is malformed (an unknown operator, a non-string value), as
        /// metav1.LabelSelectorAsSelector fails. An empty selector matches everything.
        init?(labelSelector json: JSONValue) {
            guard json.object != nil else { return nil }
            var requirements: [Requirement] = []
            if let matchLabels = json["matchLabels"], matchLabels != .null {
                guard let labels = matchLabels.stringMap else { return nil }
                requirements += labels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }
            }
            for expression in json["matchExpressions"]?.array ?? [] {
                guard let key = expression["key"]?.string else { return nil }
                var values = Set<String>()
                for value in expression["values"]?.array ?? [] {
                    guard let v = value.string else { return nil }
                    values.insert(v)
                }
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

        var isEmpty: Bool { requirements.isEmpty }

        func matches(_ labels: [String: String]) -> Bool {
            requirements.allSatisfy { requirement in
                switch requirement {
                case .equals(let key, let value): return labels[key] == value
                case .in(let key, let values): return labels[key].map(values.contains) ?? false
                case .notIn(let key, let values): return !(labels[key].map(values.contains) ?? false)
                case .exists(let key): return labels[key] != nil
                case .doesNotExist(let key): return labels[key] == nil
                }
            }
        }

        func matches(object: JSONValue) -> Bool { matches(Lifecycle.labels(object)) }
    }
}
