import KubeJSON

/// A parsed `labelSelector` query parameter, in upstream's syntax:
/// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas.
public struct LabelSelector: Sendable, Equatable {
    public enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    public var requirements: [Requirement]
    public var isEmpty: Bool { requirements.isEmpty }
    public static let everything = LabelSelector(requirements: [])

    public init(requirements: [Requirement]) { self.requirements = requirements }

    public init(parsing text: String) throws(StatusError) {
        var requirements: [Requirement] = []
        for term in Self.splitTerms(text) {
            let t = term.trimmingCharacters()
            if t.isEmpty { continue }
            requirements.append(try Self.parseTerm(t))
        }
        self.requirements = requirements
    }

    /// A meta/v1 LabelSelector object (`matchLabels`, `matchExpressions` with In, NotIn, Exists, DoesNotExist);
    /// nil when an expression's operator is unknown. An empty selector matches everything.
    public init?(labelSelector json: JSONValue) {
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

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            switch r {
            case .equals(let k, let v): return labels[k] == v
            case .notEquals(let k, let v): return labels[k] != v
            case .in(let k, let values): return labels[k].map(values.contains) ?? false
            case .notIn(let k, let values): return !(labels[k].map(values.contains) ?? false)
            case .exists(let k): return labels[k] != nil
            case .doesNotExist(let k): return labels[k] == nil
            }
        }
    }

    /// Splits on commas outside parentheses.
    static func splitTerms(_ text: String) -> [String] {
        var terms: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if c == ",", depth == 0 {
                terms.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        terms.append(current)
        return terms
    }

    static func parseTerm(_ t: String) throws(StatusError) -> Requirement {
        func invalid(_ why: String) -> StatusError { .badRequest("unable to parse requirement: \(why)") }
        if t.hasPrefix("!") {
            let key = String(t.dropFirst()).trimmingCharacters()
            try validateKey(key)
            return .doesNotExist(key)
        }
        for op in ["!=", "==", "="] {
            if let range = t.range(of: op) {
                let key = String(t[..<range.lowerBound]).trimmingCharacters()
                let value = String(t[range.upperBound...]).trimmingCharacters()
                try validateKey(key)
                try validateValue(value)
                return op == "!=" ? .notEquals(key, value) : .equals(key, value)
            }
        }
        let words = t.split(separator: " ", maxSplits: 1).map(String.init)
        if words.count == 2 {
            let key = words[0]
            let rest = words[1].trimmingCharacters()
            for (word, notIn) in [("notin", true), ("in", false)] where rest.hasPrefix(word) {
                let list = rest.dropFirst(word.count).trimmingCharacters()
                guard list.hasPrefix("("), list.hasSuffix(")") else { throw invalid("found '\(list)', expected: '('") }
                let values = Set(list.dropFirst().dropLast().split(separator: ",").map { String($0).trimmingCharacters() })
                try validateKey(key)
                for v in values { try validateValue(v) }
                return notIn ? .notIn(key, values) : .in(key, values)
            }
            throw invalid("found '\(rest)', expected: in, notin, =, ==, !=, gt, lt")
        }
        try validateKey(t)
        return .exists(t)
    }

    static func validateKey(_ key: String) throws(StatusError) {
        let name = key.split(separator: "/").last.map(String.init) ?? ""
        let ok = !name.isEmpty && name.count <= 63 && key.split(separator: "/").count <= 2
            && name.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            && (name.first?.isLetter == true || name.first?.isNumber == true)
        if !ok {
            throw .badRequest("unable to parse requirement: <nil>: Invalid value: \"\(key)\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
        }
    }

    static func validateValue(_ value: String) throws(StatusError) {
        let ok = value.count <= 63 && value.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        if !ok {
            throw .badRequest("unable to parse requirement: values[0][key]: Invalid value: \"\(value)\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
        }
    }
}

/// A parsed `fieldSelector`: `k=v`, `k==v`, `k!=v` joined by commas, over the fields a kind makes selectable.
public struct FieldSelector: Sendable, Equatable {
    public var requirements: [(field: String, value: String, equal: Bool)]
    public var isEmpty: Bool { requirements.isEmpty }

    public static func == (a: FieldSelector, b: FieldSelector) -> Bool {
        a.requirements.map { "\($0.field)\($0.equal)\($0.value)" } == b.requirements.map { "\($0.field)\($0.equal)\($0.value)" }
    }

    public init(parsing text: String) throws(StatusError) {
        requirements = []
        for term in text.split(separator: ",") where !term.isEmpty {
            let t = String(term)
            var matched = false
            for (op, equal) in [("!=", false), ("==", true), ("=", true)] {
                if let r = t.range(of: op) {
                    requirements.append((String(t[..<r.lowerBound]).trimmingCharacters(),
                                         String(t[r.upperBound...]).trimmingCharacters(), equal))
                    matched = true
                    break
                }
            }
            if !matched { throw .badRequest("invalid selector: '\(text)'; can't understand '\(t)'") }
        }
    }

    /// Refuses fields the kind does not index, with upstream's message.
    public func validate(supported: Set<String>) throws(StatusError) {
        for r in requirements where !supported.contains(r.field) {
            throw .badRequest("field label not supported: \(r.field)")
        }
    }

    public func matches(_ fields: [String: String]) -> Bool {
        requirements.allSatisfy { r in (fields[r.field] ?? "") == r.value ? r.equal : !r.equal }
    }

    /// The value required for `field` (e.g. metadata.name for a single-object watch), if any.
    public func requiredValue(_ field: String) -> String? {
        requirements.first { $0.field == field && $0.equal }?.value
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
