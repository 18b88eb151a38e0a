/// A problem decoding a YAML (or JSON) document, located as precisely as the input allows:
/// the file, the line and column, and the field path (`apiServer.certSANs[2]`) as a user would write it.
public struct YAMLDecodeError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        case syntax
        case unknownField
        case typeMismatch
        case missingField
        case invalidValue
    }

    public var kind: Kind
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var field: String
    public var message: String

    public init(kind: Kind, file: String? = nil, line: Int? = nil, column: Int? = nil, field: String, message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    public var description: String {
        var location = file ?? "<input>"
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return "\(location): \(message)"
    }
}
