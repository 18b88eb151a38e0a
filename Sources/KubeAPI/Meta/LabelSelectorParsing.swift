/// The string form of a labels.Selector (`?labelSelector=`, kubectl's `-l`): `a=b`, `a==b`, `a!=b`,
/// `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas. Errors carry the apiserver's 400 message.
extension Labels {
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// A label key: an optional prefix and `/`, then a name of at most 63 alphanumerics, `-`, `_` or `.`.
    public static func validateKey(_ key: String) throws(ParseError) {
        let name = key.split(separator: "/").last.map(String.init) ?? ""
        let ok = !name.isEmpty && name.count <= 63 && key.split(separator: "/").count <= 2
            && name.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            && (name.first?.isLetter == true || name.first?.isNumber == true)
        if !ok {
            throw ParseError(message: "unable to parse requirement: <nil>: Invalid value: \"\(key)\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
        }
    }

    public static func validateValue(_ value: String) throws(ParseError) {
        let ok = value.count <= 63 && value.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        if !ok {
            throw ParseError(message: "unable to parse requirement: values[0][key]: Invalid value: \"\(value)\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
        }
    }
}

extension Labels.Selector {
    /// upstream's labels.Parse; an empty string selects everything.
    public init(parsing text: String) throws(Labels.ParseError) {
        var requirements: [Labels.Requirement] = []
        for term in Self.splitTerms(text) {
            let t = Self.trimmed(term)
            if t.isEmpty { continue }
            requirements.append(try Self.parseTerm(t))
        }
        self.init(requirements: requirements)
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

    static func parseTerm(_ t: String) throws(Labels.ParseError) -> Labels.Requirement {
        func invalid(_ why: String) -> Labels.ParseError { .init(message: "unable to parse requirement: \(why)") }
        if t.hasPrefix("!") {
            let key = trimmed(t.dropFirst())
            try Labels.validateKey(key)
            return .doesNotExist(key)
        }
        for op in ["!=", "==", "="] {
            if let range = t.firstRange(of: op) {
                let key = trimmed(t[..<range.lowerBound])
                let value = trimmed(t[range.upperBound...])
                try Labels.validateKey(key)
                try Labels.validateValue(value)
                return op == "!=" ? .notEquals(key, value) : .equals(key, value)
            }
        }
        let words = t.split(separator: " ", maxSplits: 1).map(String.init)
        if words.count == 2 {
            let key = words[0]
            let rest = trimmed(words[1])
            for (word, notIn) in [("notin", true), ("in", false)] where rest.hasPrefix(word) {
                let list = trimmed(rest.dropFirst(word.count))
                guard list.hasPrefix("("), list.hasSuffix(")") else { throw invalid("found '\(list)', expected: '('") }
                let values = Set(list.dropFirst().dropLast().split(separator: ",").map { trimmed($0) })
                try Labels.validateKey(key)
                for v in values { try Labels.validateValue(v) }
                return notIn ? .notIn(key, values) : .in(key, values)
            }
            throw invalid("found '\(rest)', expected: in, notin, =, ==, !=, gt, lt")
        }
        try Labels.validateKey(t)
        return .exists(t)
    }

    /// Spaces and tabs off both ends (the query's `+` arrives as a space).
    static func trimmed(_ text: some StringProtocol) -> String {
        var s = Substring(text)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
