
/// One document of a multi-document YAML stream, with what Kubernetes dispatches on.
public struct YAMLDocument {
    public let node: YAMLNode
    public let apiVersion: String?
    public let kind: String?
    /// 1-based line where the document starts, for messages.
    public let line: Int?
}

public enum YAMLDocuments {
    /// Splits a `---`-separated stream into its non-empty documents, reading `apiVersion` and `kind` of each.
    public static func split(_ yaml: String, fileName: String? = nil) throws -> [YAMLDocument] {
        var out: [YAMLDocument] = []
        let nodes: [YAMLNode]
        do { nodes = try YAMLParser.documents(yaml) } catch {
            throw StrictYAMLDecoder.syntaxError(error, file: fileName)
        }
        for node in nodes {
            guard case .mapping(let mapping) = node else {
                if node.isNull { continue }
                throw YAMLDecodeError(kind: .typeMismatch, file: fileName, line: node.mark.line,
                                      column: node.mark.column, field: "",
                                      message: "expected a mapping with apiVersion and kind at the top of the document")
            }
            out.append(YAMLDocument(node: node, apiVersion: mapping["apiVersion"]?.scalar?.string,
                                    kind: mapping["kind"]?.scalar?.string, line: node.mark.line))
        }
        return out
    }
}
