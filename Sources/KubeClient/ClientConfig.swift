import FoundationEssentials
import KubeConfig

/// Where the API server is and who to be there (client-go's rest.Config): from a kubeconfig file, or built in code
/// (an in-cluster token, a test's throw-away PKI).
public struct ClientConfig: Sendable {
    public var host: String
    public var port: Int
    public var caPEM: String?
    public var certificatePEM: String?
    public var keyPEM: String?
    public var tlsServerName: String?
    public var insecureSkipTLSVerify = false
    /// Read before each request, so a rotated token file is picked up.
    public var bearerToken: (@Sendable () -> String?)?
    public var userAgent = "kubestrap"
    /// client-go's `--kube-api-qps` and `--kube-api-burst`.
    public var qps: Double = 20
    public var burst: Int = 30

    public init(host: String, port: Int, caPEM: String? = nil, certificatePEM: String? = nil, keyPEM: String? = nil) {
        self.host = host
        self.port = port
        self.caPEM = caPEM
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The current context of the kubeconfig at `path`, with file references read (relative to the file, as
    /// kubectl resolves them).
    public static func load(kubeconfig path: String) throws -> ClientConfig {
        let config: KubeConfig?
        do {
            config = try KubeConfig.load(path)
        } catch {
            throw Failure(description: "kubeconfig \(path): \(error)")
        }
        guard let config else { throw Failure(description: "kubeconfig \(path) does not exist") }
        guard let cluster = config.currentCluster, let user = config.currentUser else {
            throw Failure(description: "kubeconfig \(path): current-context \"\(config.currentContext)\" names no cluster or user")
        }
        let directory = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        func pem(data: String?, file: String?, field: String) throws -> String? {
            if let data {
                guard let text = KubeConfig.decodeData(data) else {
                    throw Failure(description: "kubeconfig \(path): \(field)-data is not base64")
                }
                return text
            }
            guard let file else { return nil }
            let resolved = file.hasPrefix("/") ? file : directory + "/" + file
            guard let text = try? String(contentsOfFile: resolved, encoding: .utf8) else {
                throw Failure(description: "kubeconfig \(path): cannot read \(field) \(resolved)")
            }
            return text
        }
        guard let url = URL(string: cluster.server), url.scheme == "https", let host = url.host else {
            throw Failure(description: "kubeconfig \(path): server \"\(cluster.server)\" is not an https:// URL")
        }
        var result = ClientConfig(
            host: host, port: url.port ?? 443,
            caPEM: try pem(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority, field: "certificate-authority"),
            certificatePEM: try pem(data: user.clientCertificateData, file: user.clientCertificate, field: "client-certificate"),
            keyPEM: try pem(data: user.clientKeyData, file: user.clientKey, field: "client-key"))
        result.tlsServerName = cluster.tlsServerName
        result.insecureSkipTLSVerify = cluster.insecureSkipTLSVerify ?? false
        if let token = user.token {
            result.bearerToken = { token }
        } else if let tokenFile = user.tokenFile {
            // Read at each request: the kubelet rotates a projected token in place.
            let resolved = tokenFile.hasPrefix("/") ? tokenFile : directory + "/" + tokenFile
            result.bearerToken = {
                (try? String(contentsOfFile: resolved, encoding: .utf8)).map { String($0.filter { !$0.isWhitespace }) }
            }
        }
        return result
    }
}
