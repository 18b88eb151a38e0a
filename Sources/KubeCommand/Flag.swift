/// The type of a flag's value, named as pflag prints it in usage text.
public enum FlagKind: Sendable, Equatable {
    case bool
    case string
    case strings      // comma-separated, repeatable (pflag's StringSlice)
    case int
    case float32
    case duration
    case level        // klog's -v Level
    case stringToString

    var typeName: String {
        switch self {
        case .bool: return ""
        case .string: return "string"
        case .strings: return "strings"
        case .int: return "int"
        case .float32: return "float32"
        case .duration: return "duration"
        case .level: return "Level"
        case .stringToString: return "mapStringString"
        }
    }
}

/// One flag definition, as `pflag` would declare it: a long name, an optional one-letter shorthand,
/// a kind, the usage line and the default value as shown in help.
public struct Flag: Sendable, Equatable {
    public var name: String
    public var shorthand: Character?
    public var kind: FlagKind
    public var usage: String
    public var defaultValue: String?
    public var hidden: Bool

    public init(_ name: String, shorthand: Character? = nil, kind: FlagKind = .string,
                default defaultValue: String? = nil, hidden: Bool = false, usage: String) {
        self.name = name
        self.shorthand = shorthand
        self.kind = kind
        self.usage = usage
        self.defaultValue = defaultValue
        self.hidden = hidden
    }

    var takesValue: Bool { kind != .bool }
}

/// Why a command line could not be parsed. Messages use pflag/cobra's wording so that what a user sees
/// (for example in a pod log) reads like upstream: `unknown flag: --foo`.
public struct FlagError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The flags of one invocation after parsing: every occurrence of every flag the user gave,
/// plus the declared defaults. Typed accessors convert and validate on demand.
public struct ParsedFlags: Sendable {
    private var values: [String: [String]] = [:]
    private var definitions: [String: Flag] = [:]

    public init(definitions: [Flag]) {
        for flag in definitions { self.definitions[flag.name] = flag }
    }

    mutating func record(_ name: String, _ value: String) {
        values[name, default: []].append(value)
    }

    /// True when the user gave the flag on the command line.
    public func changed(_ name: String) -> Bool { values[name] != nil }

    /// The last value given for a string flag, else its default, else nil.
    public func string(_ name: String) -> String? {
        if let v = values[name]?.last { return v }
        return definitions[name]?.defaultValue
    }

    /// A bool flag: true when given without value or with a true value.
    public func bool(_ name: String) -> Bool {
        guard let v = values[name]?.last ?? definitions[name]?.defaultValue else { return false }
        return v == "true"
    }

    /// A strings flag: every occurrence split on commas, empty items dropped.
    public func strings(_ name: String) -> [String] {
        let raw = values[name] ?? definitions[name]?.defaultValue.map { [$0] } ?? []
        return raw.flatMap { $0.split(separator: ",").map { String($0).trimmingSpaces() } }.filter { !$0.isEmpty }
    }

    /// An int flag; an unparsable value is an error naming the flag.
    public func int(_ name: String) throws(FlagError) -> Int? {
        guard let v = string(name) else { return nil }
        guard let i = Int(v) else {
            throw FlagError("invalid argument \"\(v)\" for \"--\(name)\" flag: strconv.ParseInt: parsing \"\(v)\": invalid syntax")
        }
        return i
    }

    /// A float flag (pflag's Float32, as client-go's `--kube-api-qps`); an unparsable or non-finite value is an error
    /// naming the flag.
    public func float(_ name: String) throws(FlagError) -> Double? {
        guard let v = string(name) else { return nil }
        guard let d = Double(v), d.isFinite, abs(d) <= Double(Float.greatestFiniteMagnitude) else {
            throw FlagError("invalid argument \"\(v)\" for \"--\(name)\" flag: strconv.ParseFloat: parsing \"\(v)\": invalid syntax")
        }
        return d
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
