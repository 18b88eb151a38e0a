/// The settings kube-apiserver's flags resolve to (only what the server itself needs; TLS lives in the transport).
public struct APIServerOptions: Sendable {
    public var advertiseAddress = "127.0.0.1"
    public var securePort = 6443
    public var serviceClusterIPRange = IPv4Range("10.96.0.0/12")!
    /// `--service-node-port-range`.
    public var serviceNodePortRange = PortRange.defaultNodePorts
    /// `--authorization-mode`, e.g. ["Node", "RBAC"].
    public var authorizationModes = ["Node", "RBAC"]
    /// `--enable-admission-plugins` beyond the ones on by default.
    public var admissionPlugins: Set<String> = ["NodeRestriction"]
    public var disabledAdmissionPlugins: Set<String> = []
    /// `--max-request-body-bytes` default: 3 MiB, as upstream.
    public var maxRequestBodyBytes = 3 << 20
    /// `--min-request-timeout`: watches end after a random time between this and twice it.
    public var minRequestTimeout = 1800
    public var anonymousAuth = true
    /// How often a watch with allowWatchBookmarks gets a BOOKMARK.
    public var bookmarkInterval: Double = 60
    public var clusterName = "kubernetes"
    public var kubernetesServicePort = 443
    /// `--service-account-*`: nil when no issuer is configured (no tokens issued or accepted).
    public var serviceAccountTokens: ServiceAccountTokenSettings?
    /// The data of kube-system/extension-apiserver-authentication (`client-ca-file`, `requestheader-*`), which
    /// extension API servers and the other control-plane programs read to trust this server's clients and front
    /// proxy. Empty: the ConfigMap is not written.
    public var extensionAPIServerAuthentication: [String: String] = [:]

    public init() {}
}
