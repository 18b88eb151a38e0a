import KubeJSON
import Yams

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
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw .badRequest("error converting YAML to JSON: \(error)")
        }
        guard let node else { throw .badRequest("the request body is empty") }
        return try convert(node)
    }

    static func convert(_ node: Node) throws(StatusError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .doubleQuoted || scalar.style == .singleQuoted || scalar.style == .literal || scalar.style == .folded {
                return .string(scalar.string)
            }
            let s = scalar.string
            switch s {
            case "null", "Null", "NULL", "~", "": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if let i = Int64(s) { return .int(i) }
            if let d = Double(s), s.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), !s.hasPrefix(".") { return .double(d) }
            return .string(s)
        case .mapping(let mapping):
            var o: [String: JSONValue] = [:]
            for (k, v) in mapping {
                guard let key = k.scalar?.string else { throw .badRequest("error converting YAML to JSON: non-string map key") }
                o[key] = try convert(v)
            }
            return .object(o)
        case .sequence(let seq):
            var a: [JSONValue] = []
            for v in seq { a.append(try convert(v)) }
            return .array(a)
        case .alias:
            throw .badRequest("error converting YAML to JSON: aliases are not supported")
        }
    }
}
