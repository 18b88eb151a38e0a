import KubeJSON

/// The JSONPath subset `additionalPrinterColumns` use: `.spec.replicas`, `.metadata.labels.app`,
/// `.spec.items[0].name`, `.spec.items[*].name` and filters such as `.status.conditions[?(@.type=="Ready")].status`.
/// The CRD's validation refuses anything else, so evaluation never meets an unknown step.
struct SimpleJSONPath: Sendable {
    enum Step: Sendable, Equatable {
        case field(String)
        case index(Int)
        case all
        case filter(field: String, equals: String)
    }

    let steps: [Step]

    /// nil when the path is not in the supported subset (the message names what is wrong).
    init(_ text: String) throws(ParseError) {
        var steps: [Step] = []
        var rest = Substring(text.trimmingCharacters())
        if rest.hasPrefix("{"), rest.hasSuffix("}") { rest = rest.dropFirst().dropLast() }
        guard rest.hasPrefix(".") else { throw ParseError("must start with a '.'") }
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { throw ParseError("empty field name") }
                steps.append(.field(String(name)))
                rest = rest.dropFirst(name.count)
            } else if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { throw ParseError("unterminated '['") }
                let inner = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                if inner == "*" {
                    steps.append(.all)
                } else if let n = Int(inner), n >= 0 {
                    steps.append(.index(n))
                } else if inner.hasPrefix("?(@."), inner.hasSuffix(")"), let eq = inner.range(of: "==") {
                    let field = inner[inner.index(inner.startIndex, offsetBy: 4)..<eq.lowerBound].trimmingCharacters()
                    var value = inner[eq.upperBound..<inner.index(before: inner.endIndex)].trimmingCharacters()
                    if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q { value = String(value.dropFirst().dropLast()) }
                    steps.append(.filter(field: field, equals: value))
                } else if let quoted = Self.quotedKey(inner) {
                    steps.append(.field(quoted))
                } else {
                    throw ParseError("unsupported subscript [\(inner)]")
                }
            } else {
                throw ParseError("unexpected \"\(rest.prefix(10))\"")
            }
        }
        self.steps = steps
    }

    static func quotedKey(_ inner: Substring) -> String? {
        guard inner.count >= 2, let q = inner.first, q == "'" || q == "\"", inner.last == q else { return nil }
        return String(inner.dropFirst().dropLast())
    }

    struct ParseError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    func evaluate(_ value: JSONValue) -> [JSONValue] {
        var current = [value]
        for step in steps {
            var next: [JSONValue] = []
            for v in current {
                switch step {
                case .field(let name): if let c = v[name], c != .null { next.append(c) }
                case .index(let i): if let a = v.array, i < a.count { next.append(a[i]) }
                case .all:
                    if let a = v.array { next += a } else if let o = v.object { next += o.keys.sorted().compactMap { o[$0] } }
                case .filter(let field, let wanted):
                    for element in v.array ?? [] {
                        if let f = element[field], StructuralSchema.display(f) == wanted { next.append(element) }
                    }
                }
            }
            current = next
        }
        return current
    }
}
