import KubeAPI
import KubeYAML

/// kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration: the fields this kube-proxy acts on. Like upstream, a file
/// with fields it does not know is read leniently with a warning naming them, not refused.
public struct KubeProxyConfiguration: Codable, Sendable, Equatable {
    public struct ClientConnection: Codable, Sendable, Equatable {
        public var kubeconfig: String?
        public var qps: Double?
        public var burst: Int?
        public var contentType: String?
        public var acceptContentTypes: String?
        public init() {}
    }

    public struct IPTables: Codable, Sendable, Equatable {
        public var masqueradeAll: Bool?
        public var masqueradeBit: Int?
        public var minSyncPeriod: GoDuration?
        public var syncPeriod: GoDuration?
        public var localhostNodePorts: Bool?
        public init() {}
    }

    public var apiVersion: String?
    public var kind: String?
    public var bindAddress: String?
    public var clientConnection: ClientConnection?
    public var clusterCIDR: String?
    public var healthzBindAddress: String?
    public var metricsBindAddress: String?
    public var hostnameOverride: String?
    public var mode: String?
    public var iptables: IPTables?
    public var bindAddressHardFail: Bool?
    public var enableProfiling: Bool?
    public var showHiddenMetricsForVersion: String?
    public var nodePortAddresses: [String]?
    public var oomScoreAdj: Int?
    public var portRange: String?
    public var configSyncPeriod: GoDuration?
    public var detectLocalMode: String?

    public init() {}

    public static let apiVersion = "kubeproxy.config.k8s.io/v1alpha1"
    public static let kind = "KubeProxyConfiguration"

    /// Parses a `--config` file; the second value lists fields this kube-proxy does not know (each ignored).
    public static func parse(_ text: String, file: String) throws -> (KubeProxyConfiguration, [String]) {
        let parsed: YAMLNode?
        do { parsed = try YAMLParser.document(text) } catch { throw StrictYAMLDecoder.syntaxError(error, file: file) }
        guard let node = parsed, node.mapping != nil else {
            throw KubeProxyConfigError("\(file): expected a KubeProxyConfiguration mapping with apiVersion and kind")
        }
        let (config, unknown) = try StrictYAMLDecoder(fileName: file).decodeCollectingUnknownFields(KubeProxyConfiguration.self, from: node)
        guard config.kind == kind, config.apiVersion == apiVersion else {
            throw KubeProxyConfigError("\(file): no kind \"\(config.kind ?? "")\" is registered for version \"\(config.apiVersion ?? "")\": expected apiVersion \(apiVersion) and kind \(kind)")
        }
        return (config, unknown)
    }
}

public struct KubeProxyConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
