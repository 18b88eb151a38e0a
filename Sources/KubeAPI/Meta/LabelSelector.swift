/// meta/v1 LabelSelector as written in objects (`spec.selector` of a ReplicaSet, a PodDisruptionBudget, …).
/// `asSelector()` turns it into the labels.Selector that matches.
public struct LabelSelector: Codable, Sendable, Equatable, Hashable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [LabelSelectorRequirement]?

    public init(matchLabels: [String: String]? = nil, matchExpressions: [LabelSelectorRequirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// Neither labels nor expressions: it selects everything, which owners must not adopt with.
    public var isEmpty: Bool { (matchLabels ?? [:]).isEmpty && (matchExpressions ?? []).isEmpty }

    /// upstream's LabelSelectorAsSelector; nil when an expression's operator is not In, NotIn, Exists or
    /// DoesNotExist (upstream fails to build such a selector, so it selects nothing).
    public func asSelector() -> Labels.Selector? {
        var requirements = (matchLabels ?? [:]).sorted { $0.key < $1.key }.map { Labels.Requirement.equals($0.key, $0.value) }
        for expression in matchExpressions ?? [] {
            guard let requirement = expression.requirement else { return nil }
            requirements.append(requirement)
        }
        return Labels.Selector(requirements: requirements)
    }
}

public struct LabelSelectorRequirement: Codable, Sendable, Equatable, Hashable {
    @GoValue public var key: String = ""
    @GoValue public var `operator`: String = ""
    public var values: [String]?

    public init(key: String, operator: String, values: [String]? = nil) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }

    var requirement: Labels.Requirement? {
        let set = Set(values ?? [])
        switch `operator` {
        case "In": return .in(key, set)
        case "NotIn": return .notIn(key, set)
        case "Exists": return .exists(key)
        case "DoesNotExist": return .doesNotExist(key)
        default: return nil
        }
    }
}

/// upstream's labels package: a Selector is requirements that all hold.
public enum Labels {
    public enum Requirement: Sendable, Equatable, Hashable {
        case equals(String, String)
        /// Only from the string syntax (`a!=b`): a missing label matches, as upstream's NotEquals.
        case notEquals(String, String)
        case `in`(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)

        public func matches(_ labels: [String: String]) -> Bool {
            switch self {
            case .equals(let key, let value): return labels[key] == value
            case .notEquals(let key, let value): return labels[key] != value
            case .in(let key, let values): return labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): return !(labels[key].map(values.contains) ?? false)
            case .exists(let key): return labels[key] != nil
            case .doesNotExist(let key): return labels[key] == nil
            }
        }
    }

    public struct Selector: Sendable, Equatable, Hashable {
        public var requirements: [Requirement]

        public init(requirements: [Requirement]) { self.requirements = requirements }

        public static let everything = Selector(requirements: [])

        /// upstream's labels.Nothing(): matches no labels at all (an In over no values).
        public static let nothing = Selector(requirements: [.in("", [])])

        /// upstream's SelectorFromSet: a Service's `spec.selector`, a ReplicationController's.
        public init(matchLabels: [String: String]) {
            requirements = matchLabels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }
        }

        /// Selects everything.
        public var isEmpty: Bool { requirements.isEmpty }

        public func matches(_ labels: [String: String]) -> Bool {
            requirements.allSatisfy { $0.matches(labels) }
        }
    }
}
