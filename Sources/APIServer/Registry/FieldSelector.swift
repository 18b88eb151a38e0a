import KubeJSON

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
