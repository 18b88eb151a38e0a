import FoundationEssentials
import KubeJSON
import KubeYAML

/// Reads `--config`: one KubeletConfiguration document, decoded strictly (unknown fields are errors naming the
/// field and line).
public enum KubeletConfigFile {
    public static func load(path: String) throws -> KubeletConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw KubeletConfigError("cannot read \(path)")
        }
        let documents = try YAMLDocuments.split(text, fileName: path)
        guard documents.count == 1, let document = documents.first else {
            throw KubeletConfigError("\(path): expected exactly one KubeletConfiguration document")
        }
        guard document.kind == "KubeletConfiguration", document.apiVersion == "kubelet.config.k8s.io/v1beta1" else {
            throw KubeletConfigError("\(path): expected apiVersion kubelet.config.k8s.io/v1beta1 and kind KubeletConfiguration, found \(document.apiVersion ?? "<none>") \(document.kind ?? "<none>")")
        }
        return try StrictYAMLDecoder(fileName: path).decode(KubeletConfiguration.self, from: document.node)
    }

    /// Top-level fields set in the file that this kubelet does not act on.
    public static func setButNotActedOn(_ configuration: KubeletConfiguration) -> [String] {
        guard let data = try? JSONEncoder().encode(configuration),
              case .object(let object)? = try? JSONParser.parse(Array(data)) else { return [] }
        return object.keys.filter { !KubeletConfiguration.actedOn.contains($0) }.sorted()
    }
}
