@_exported import KubeAPI
import KubeYAML
import AtomicFile

/// The documents of a `--config` file, decoded strictly: an unknown field is an error naming the field and line.
public struct ConfigFile: Sendable {
    public var initConfiguration: V1Beta4.InitConfiguration?
    public var clusterConfiguration: V1Beta4.ClusterConfiguration?
    /// Kinds that are valid in a kubeadm config file but that this command does not use (e.g. KubeletConfiguration).
    public var ignoredKinds: [String] = []

    public init(initConfiguration: V1Beta4.InitConfiguration? = nil, clusterConfiguration: V1Beta4.ClusterConfiguration? = nil) {
        self.initConfiguration = initConfiguration
        self.clusterConfiguration = clusterConfiguration
    }

    /// Reads and decodes a config file.
    public static func load(path: String) throws -> ConfigFile {
        let text: String?
        do { text = try AtomicFile.readText(path) } catch {
            throw ConfigError("unable to read config from \"\(path)\": \(error)")
        }
        guard let text else { throw ConfigError("unable to read config from \"\(path)\": no such file") }
        return try parse(text, fileName: path)
    }

    public static func parse(_ text: String, fileName: String) throws -> ConfigFile {
        var file = ConfigFile()
        let documents = try YAMLDocuments.split(text, fileName: fileName)
        if documents.isEmpty { throw ConfigError("\(fileName): no InitConfiguration or ClusterConfiguration found in the file") }
        for document in documents {
            let where_ = "\(fileName)\(document.line.map { ":\($0)" } ?? "")"
            guard let kind = document.kind, let apiVersion = document.apiVersion else {
                throw ConfigError("\(where_): every document needs apiVersion and kind")
            }
            switch (apiVersion, kind) {
            case (V1Beta4.apiVersion, "InitConfiguration"):
                if file.initConfiguration != nil { throw ConfigError("\(where_): more than one InitConfiguration") }
                file.initConfiguration = try StrictYAMLDecoder(fileName: fileName).decode(V1Beta4.InitConfiguration.self, from: document.node)
            case (V1Beta4.apiVersion, "ClusterConfiguration"):
                if file.clusterConfiguration != nil { throw ConfigError("\(where_): more than one ClusterConfiguration") }
                file.clusterConfiguration = try StrictYAMLDecoder(fileName: fileName).decode(V1Beta4.ClusterConfiguration.self, from: document.node)
            case (_, "InitConfiguration"), (_, "ClusterConfiguration"), (_, "JoinConfiguration"):
                throw ConfigError("\(where_): \(kind) of apiVersion \"\(apiVersion)\" is not supported; use \(V1Beta4.apiVersion) (kubeadm config migrate converts older files)")
            case ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"), ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"):
                file.ignoredKinds.append(kind)
            default:
                throw ConfigError("\(where_): unknown kind \"\(kind)\" of apiVersion \"\(apiVersion)\"; expected InitConfiguration or ClusterConfiguration of \(V1Beta4.apiVersion)")
            }
        }
        return file
    }
}

/// A configuration problem, worded to say what to fix.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
