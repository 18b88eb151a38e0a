import KubeJSON
import KubeYAML

/// Request bodies: JSON, or YAML (`application/yaml`), into a JSONValue; anything else is 415.
enum BodyDecoder {
    static func decode(_ body: [UInt8], contentType: String?, kind: String) throws(StatusError) -> JSONValue {
        let type = (contentType ?? "application/json").split(separator: ";").first.map { $0.trimmingCharacters().lowercased() } ?? ""
        if body.isEmpty { throw .badRequest("the request body is empty; expected a \(kind) object") }
        switch type {
        case "application/json", "", "application/merge-patch+json", "application/json-patch+json",
             "application/strategic-merge-patch+json", "*/*":
            do { return try JSONParser.parse(body) } catch {
                throw .badRequest("error decoding JSON: \(error.reason) at offset \(error.offset)")
            }
        case "application/yaml", "application/apply-patch+yaml", "application/x-yaml", "text/yaml":
            return try yaml(body)
        case "application/vnd.kubernetes.protobuf":
            return try ProtobufDecoder.decode(body)
        default:
            throw .unsupportedMediaType
        }
    }

    static func yaml(_ body: [UInt8]) throws(StatusError) -> JSONValue {
        let text = String(decoding: body, as: UTF8.self)
        let node: YAMLNode?
        do { node = try YAMLParser.document(text) } catch {
            let at = error.mark.map { " at line \($0.line), column \($0.column)" } ?? ""
            throw .badRequest("error converting YAML to JSON: \(error.message)\(at)")
        }
        guard let node else { throw .badRequest("the request body is empty") }
        return node.jsonValue()
    }
}
