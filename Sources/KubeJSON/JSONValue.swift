/// A JSON document as the API server handles objects: schemaless, like apimachinery's unstructured maps, so fields the
/// server does not model survive a round trip. Object keys are written sorted (as Go writes maps), which also puts
/// `apiVersion`, `kind`, `metadata`, `spec`, `status` in the order kubectl users know.
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public static let emptyObject = JSONValue.object([:])

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var int: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: return Int64(d)
        default: return nil
        }
    }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
    public var isNull: Bool { self == .null }

    /// Name of the JSON type, as Go's decoder names it in errors ("string", "number", "object", …).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public subscript(key: String) -> JSONValue? {
        get { object?[key] }
        set {
            guard case .object(var o) = self else { return }
            o[key] = newValue
            self = .object(o)
        }
    }

    /// Reads a nested value; nil when any step is missing or not an object.
    public subscript(path path: [String]) -> JSONValue? {
        get {
            var current: JSONValue? = self
            for key in path { current = current?[key] }
            return current
        }
        set {
            guard let first = path.first else {
                if let newValue { self = newValue }
                return
            }
            if case .object = self {} else { self = .emptyObject }
            var child = self[first] ?? .emptyObject
            if path.count == 1 {
                self[first] = newValue
            } else {
                if case .object = child {} else { child = .emptyObject }
                child[path: Array(path.dropFirst())] = newValue
                self[first] = child
            }
        }
    }
}

// Not ExpressibleByNilLiteral: with it, `nil` in a `JSONValue?` context (a ternary, `compactMapValues`) silently became
// `.null` instead of "absent", which stored `"finalizers": null` for a JSON Patch `remove`. JSON null is spelt `.null`.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var o: [String: JSONValue] = [:]
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

extension JSONValue {
    public init(_ strings: [String: String]) { self = .object(strings.mapValues { .string($0) }) }

    /// A `map[string]string` field such as labels; nil when absent or of another shape.
    public var stringMap: [String: String]? {
        guard let o = object else { return nil }
        var out: [String: String] = [:]
        for (k, v) in o {
            guard let s = v.string else { return nil }
            out[k] = s
        }
        return out
    }
}
