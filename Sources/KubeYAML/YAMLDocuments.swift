import Yams

/// One document of a multi-document YAML stream, with what Kubernetes dispatches on.
public struct YAMLDocument {
    public let node: Node
    public let apiVersion: String?
    public let kind: String?
    /// 1-based line where the document starts, for messages.
    public let line: Int?
}

public enum YAMLDocuments {
    /// Splits a `---`-separated stream into its non-empty documents, reading `apiVersion` and `kind` of each.
    public static func split(_ yaml: String, fileName: String? = nil) throws -> [YAMLDocument] {
        var out: [YAMLDocument] = []
        do {
            var sequence = try Yams.compose_all(yaml: yaml)
            while let node = sequence.next() {
                guard case .mapping(let mapping) = node else {
                    if case .scalar(let s) = node, isNull(s) { continue }
                    throw YAMLDecodeError(kind: .typeMismatch, file: fileName, line: node.mark?.line,
                                          column: node.mark?.column, field: "",
                                          message: "expected a mapping with apiVersion and kind at the top of the document")
                }
                out.append(YAMLDocument(node: node, apiVersion: mapping["apiVersion"]?.scalar?.string,
                                        kind: mapping["kind"]?.scalar?.string, line: node.mark?.line))
            }
            if let error = sequence.error { throw error }
        } catch let error as YAMLDecodeError {
            throw error
        } catch {
            throw StrictYAMLDecoder.syntaxError(error, file: fileName)
        }
        return out
    }
}

/// Encodes values the way Kubernetes tools write YAML: keys sorted (as Go's JSON→YAML path does),
/// so files are deterministic and diff cleanly.
public enum KubeYAMLEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = true
        encoder.options.indent = 2
        return try encoder.encode(value)
    }
}
