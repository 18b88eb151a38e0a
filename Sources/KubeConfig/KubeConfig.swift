import FoundationEssentials
import KubeYAML
import AtomicFile

/// A kubeconfig file (`apiVersion: v1, kind: Config`), with client-go's field names so kubectl reads it unchanged.
public struct KubeConfig: Codable, Sendable, Equatable {
    public var apiVersion: String = "v1"
    public var kind: String = "Config"
    public var clusters: [NamedCluster]
    public var contexts: [NamedContext]
    public var currentContext: String
    public var preferences: Preferences = Preferences()
    public var users: [NamedUser]

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, clusters, contexts, preferences, users
        case currentContext = "current-context"
    }

    public init(clusters: [NamedCluster], contexts: [NamedContext], currentContext: String, users: [NamedUser]) {
        self.clusters = clusters
        self.contexts = contexts
        self.currentContext = currentContext
        self.users = users
    }

    public struct Preferences: Codable, Sendable, Equatable {
        public init() {}
    }

    /// As client-go reads it: `preferences` (and apiVersion, kind) may be left out, as kubeadm's kube-proxy
    /// kubeconfig does.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion) ?? "v1"
        kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? "Config"
        clusters = try c.decode([NamedCluster].self, forKey: .clusters)
        contexts = try c.decode([NamedContext].self, forKey: .contexts)
        currentContext = try c.decode(String.self, forKey: .currentContext)
        preferences = try c.decodeIfPresent(Preferences.self, forKey: .preferences) ?? Preferences()
        users = try c.decode([NamedUser].self, forKey: .users)
    }

    public struct NamedCluster: Codable, Sendable, Equatable {
        public var name: String
        public var cluster: Cluster
        public init(name: String, cluster: Cluster) { self.name = name; self.cluster = cluster }
    }

    public struct Cluster: Codable, Sendable, Equatable {
        public var server: String
        public var certificateAuthorityData: String?
        public var certificateAuthority: String?
        public var insecureSkipTLSVerify: Bool?
        public var tlsServerName: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthorityData = "certificate-authority-data"
            case certificateAuthority = "certificate-authority"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }

        public init(server: String, certificateAuthorityData: String? = nil) {
            self.server = server
            self.certificateAuthorityData = certificateAuthorityData
        }
    }

    public struct NamedContext: Codable, Sendable, Equatable {
        public var name: String
        public var context: Context
        public init(name: String, context: Context) { self.name = name; self.context = context }
    }

    public struct Context: Codable, Sendable, Equatable {
        public var cluster: String
        public var user: String
        public var namespace: String?
        public init(cluster: String, user: String, namespace: String? = nil) {
            self.cluster = cluster
            self.user = user
            self.namespace = namespace
        }
    }

    public struct NamedUser: Codable, Sendable, Equatable {
        public var name: String
        public var user: User
        public init(name: String, user: User) { self.name = name; self.user = user }
    }

    public struct User: Codable, Sendable, Equatable {
        public var clientCertificateData: String?
        public var clientKeyData: String?
        public var clientCertificate: String?
        public var clientKey: String?
        public var token: String?
        /// A file holding the bearer token (kubeadm's kube-proxy kubeconfig names the projected service account token).
        public var tokenFile: String?

        enum CodingKeys: String, CodingKey {
            case clientCertificateData = "client-certificate-data"
            case clientKeyData = "client-key-data"
            case clientCertificate = "client-certificate"
            case clientKey = "client-key"
            case token
            case tokenFile
        }

        public init(clientCertificateData: String? = nil, clientKeyData: String? = nil, token: String? = nil) {
            self.clientCertificateData = clientCertificateData
            self.clientKeyData = clientKeyData
            self.token = token
        }
    }
}

extension KubeConfig {
    /// A kubeconfig with one cluster, one user and one context `<user>@<cluster>`, credentials embedded —
    /// the shape of every file kubeadm writes.
    public static func embedded(clusterName: String, server: String, caPEM: String, userName: String,
                                clientCertificatePEM: String, clientKeyPEM: String) -> KubeConfig {
        let contextName = "\(userName)@\(clusterName)"
        return KubeConfig(
            clusters: [NamedCluster(name: clusterName, cluster: Cluster(server: server, certificateAuthorityData: base64(caPEM)))],
            contexts: [NamedContext(name: contextName, context: Context(cluster: clusterName, user: userName))],
            currentContext: contextName,
            users: [NamedUser(name: userName, user: User(clientCertificateData: base64(clientCertificatePEM),
                                                         clientKeyData: base64(clientKeyPEM)))])
    }

    /// The cluster the current context points at.
    public var currentCluster: Cluster? {
        guard let context = contexts.first(where: { $0.name == currentContext }) else { return nil }
        return clusters.first { $0.name == context.context.cluster }?.cluster
    }

    /// The user the current context points at.
    public var currentUser: User? {
        guard let context = contexts.first(where: { $0.name == currentContext }) else { return nil }
        return users.first { $0.name == context.context.user }?.user
    }

    public func yaml() throws -> String { try KubeYAMLEncoder.encode(self) }

    /// Reads a kubeconfig file; nil if it does not exist.
    public static func load(_ path: String) throws -> KubeConfig? {
        guard let text = try AtomicFile.readText(path) else { return nil }
        return try StrictYAMLDecoder(fileName: path, allowUnknownFields: true).decode(KubeConfig.self, from: text)
    }

    /// Writes the file atomically with mode 0600 (it holds a private key).
    public func write(to path: String) throws {
        try AtomicFile.makeDirectories(AtomicFile.directoryName(of: path))
        try AtomicFile.write(try yaml(), to: path, mode: 0o600)
    }

    /// Decodes a `*-data` field to the PEM text it holds.
    public static func decodeData(_ base64: String?) -> String? {
        guard let base64, let data = Data(base64Encoded: base64) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
}
