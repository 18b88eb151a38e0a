/// Decodes `Decodable` types from YAML like Kubernetes' strict decoding does: every key in the input must be
/// a field of the type, and any that is not is reported as `unknown field "a.b"` with its line and column.
///
/// It works with synthesized `Codable` conformances: the decoder records which key paths were read,
/// and afterwards every mapping key that nobody asked for is unknown.
public struct StrictYAMLDecoder: Sendable {
    /// The file name used in error messages.
    public var fileName: String?
    /// When true, keys the type does not know are ignored instead of rejected (for files other tools also write,
    /// such as kubeconfigs).
    public var allowUnknownFields: Bool

    public init(fileName: String? = nil, allowUnknownFields: Bool = false) {
        self.fileName = fileName
        self.allowUnknownFields = allowUnknownFields
    }

    /// Parses one YAML document and decodes it strictly.
    public func decode<T: Decodable>(_ type: T.Type, from yaml: String) throws -> T {
        let parsed: YAMLNode?
        do { parsed = try YAMLParser.document(yaml) } catch {
            throw Self.syntaxError(error, file: fileName)
        }
        guard let node = parsed else {
            throw YAMLDecodeError(kind: .syntax, file: fileName, field: "", message: "the document is empty")
        }
        return try decode(type, from: node)
    }

    /// Decodes an already-parsed node strictly.
    public func decode<T: Decodable>(_ type: T.Type, from node: YAMLNode) throws -> T {
        let (value, tracker) = try decodeTracked(type, from: node)
        if !allowUnknownFields, let unknown = Self.firstUnknownField(in: node, path: "", tracker: tracker) {
            throw YAMLDecodeError(kind: .unknownField, file: fileName, line: unknown.1?.line, column: unknown.1?.column,
                                  field: unknown.0, message: "unknown field \"\(unknown.0)\"")
        }
        return value
    }

    /// Decodes leniently and returns every field path the type does not know, for callers that warn rather than fail
    /// (upstream's kubelet ignores unknown fields in static pod manifests).
    public func decodeCollectingUnknownFields<T: Decodable>(_ type: T.Type, from node: YAMLNode) throws -> (T, [String]) {
        let (value, tracker) = try decodeTracked(type, from: node)
        var unknown: [String] = []
        Self.collectUnknownFields(in: node, path: "", tracker: tracker, into: &unknown)
        return (value, unknown)
    }

    /// Decodes while recording which field paths were read; decoding errors carry the file, line and field.
    private func decodeTracked<T: Decodable>(_ type: T.Type, from node: YAMLNode) throws -> (T, AccessTracker) {
        let tracker = AccessTracker()
        let decoder = NodeDecoder(node: node, codingPath: [], tracker: tracker, fileName: fileName)
        do {
            return (try T(from: decoder), tracker)
        } catch let error as YAMLDecodeError {
            throw error
        } catch let error as DecodingError {
            throw translate(error, root: node)
        }
    }

    private static func collectUnknownFields(in node: YAMLNode, path: String, tracker: AccessTracker, into out: inout [String]) {
        switch node {
        case .mapping(let mapping):
            for entry in mapping.entries {
                let childPath = FieldPath.child(path, key: entry.key)
                if tracker.seen.contains(childPath) {
                    collectUnknownFields(in: entry.value, path: childPath, tracker: tracker, into: &out)
                } else {
                    out.append(childPath)
                }
            }
        case .sequence(let sequence):
            for (index, item) in sequence.items.enumerated() {
                collectUnknownFields(in: item, path: FieldPath.child(path, index: index), tracker: tracker, into: &out)
            }
        default:
            break
        }
    }

    /// Wraps a YAML syntax error with the file name and position.
    public static func syntaxError(_ error: YAMLSyntaxError, file: String?) -> YAMLDecodeError {
        YAMLDecodeError(kind: .syntax, file: file, line: error.mark?.line, column: error.mark?.column, field: "",
                        message: error.message)
    }

    private static func firstUnknownField(in node: YAMLNode, path: String, tracker: AccessTracker) -> (String, YAMLMark?)? {
        switch node {
        case .mapping(let mapping):
            for entry in mapping.entries {
                let childPath = FieldPath.child(path, key: entry.key)
                guard tracker.seen.contains(childPath) else { return (childPath, entry.keyMark) }
                if let found = firstUnknownField(in: entry.value, path: childPath, tracker: tracker) { return found }
            }
        case .sequence(let sequence):
            for (index, item) in sequence.items.enumerated() {
                if let found = firstUnknownField(in: item, path: FieldPath.child(path, index: index), tracker: tracker) {
                    return found
                }
            }
        default:
            break
        }
        return nil
    }

    private func translate(_ error: DecodingError, root: YAMLNode) -> YAMLDecodeError {
        func locate(_ path: [any CodingKey]) -> YAMLMark? {
            var node: YAMLNode? = root
            for key in path {
                switch node {
                case .mapping(let m)?: node = m[key.stringValue]
                case .sequence(let s)?: node = key.intValue.flatMap { $0 < s.items.count ? s.items[$0] : nil }
                default: node = nil
                }
            }
            return node?.mark
        }
        switch error {
        case .dataCorrupted(let ctx):
            let mark = locate(ctx.codingPath)
            let field = FieldPath.render(ctx.codingPath)
            return YAMLDecodeError(kind: .invalidValue, file: fileName, line: mark?.line, column: mark?.column, field: field,
                                   message: field.isEmpty ? ctx.debugDescription : "\(field): \(ctx.debugDescription)")
        case .keyNotFound(let key, let ctx):
            let mark = locate(ctx.codingPath)
            let field = FieldPath.render(ctx.codingPath + [key])
            return YAMLDecodeError(kind: .missingField, file: fileName, line: mark?.line, column: mark?.column, field: field,
                                   message: "missing required field \"\(field)\"")
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
            let mark = locate(ctx.codingPath)
            let field = FieldPath.render(ctx.codingPath)
            return YAMLDecodeError(kind: .typeMismatch, file: fileName, line: mark?.line, column: mark?.column, field: field,
                                   message: "\(field): \(ctx.debugDescription)")
        @unknown default:
            return YAMLDecodeError(kind: .invalidValue, file: fileName, field: "", message: "\(error)")
        }
    }
}

/// Records which field paths were read during one decode. Decoding is synchronous and confined to
/// one call, so the class is never shared across threads.
final class AccessTracker {
    var seen: Set<String> = []
}
