/// A position in a YAML text, 1-based, for messages (`file:line:column`).
public struct YAMLMark: Sendable, Equatable, Hashable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// How a scalar was written; only plain scalars resolve to null, booleans and numbers.
public enum YAMLScalarStyle: Sendable, Equatable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

public struct YAMLScalar: Sendable, Equatable {
    public var string: String
    public var style: YAMLScalarStyle
    /// The resolved explicit tag (`tag:yaml.org,2002:str` for `!!str`), nil when none was written.
    public var tag: String?
    public var mark: YAMLMark

    public init(string: String, style: YAMLScalarStyle = .plain, tag: String? = nil, mark: YAMLMark = YAMLMark(line: 1, column: 1)) {
        self.string = string
        self.style = style
        self.tag = tag
        self.mark = mark
    }

    public static let stringTag = "tag:yaml.org,2002:str"
    public static let nullTag = "tag:yaml.org,2002:null"

    /// Plain and untagged: the scalar's type comes from its text (`true`, `10`, `null`), as in YAML's core schema.
    public var isResolvable: Bool { style == .plain && tag == nil }

    /// `~`, `null` or nothing at all, written plain (a quoted "null" is a string).
    public var isNull: Bool {
        if tag == Self.nullTag { return true }
        guard isResolvable else { return false }
        switch string {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }
}

public struct YAMLMapping: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var keyMark: YAMLMark
        public var value: YAMLNode
    }

    public var entries: [Entry]
    public var mark: YAMLMark

    /// The value of `key`; when a key is repeated the last one wins, as in Go's YAML→JSON conversion.
    public subscript(key: String) -> YAMLNode? { entries.last { $0.key == key }?.value }
}

public struct YAMLSequence: Sendable, Equatable {
    public var items: [YAMLNode]
    public var mark: YAMLMark
}

/// One node of a parsed document. Aliases are expanded while parsing, so consumers see plain trees.
public enum YAMLNode: Sendable, Equatable {
    case scalar(YAMLScalar)
    case mapping(YAMLMapping)
    case sequence(YAMLSequence)

    public var mark: YAMLMark {
        switch self {
        case .scalar(let s): return s.mark
        case .mapping(let m): return m.mark
        case .sequence(let s): return s.mark
        }
    }

    public var scalar: YAMLScalar? { if case .scalar(let s) = self { return s } else { return nil } }
    public var mapping: YAMLMapping? { if case .mapping(let m) = self { return m } else { return nil } }
    public var isNull: Bool { scalar?.isNull ?? false }

    /// What a user would call this node in a message: "a mapping", "a list", "null", or the quoted scalar.
    public var describedForMessage: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let s): return s.isNull ? "null" : "\"\(s.string)\""
        }
    }
}
