import FoundationEssentials
import KubeConfig
import KubeHTTPClient
import KubeJSON

/// The kubelet's connection to the kube-apiserver, from `--kubeconfig` (kubelet.conf: the node's client
/// certificate, the cluster CA, the server URL).
public struct APIServerClient: Sendable {
    let http: HTTPSClient
    public let server: String

    public struct Failure: Error, CustomStringConvertible {
        public let status: Int
        public let message: String
        public var description: String { "HTTP \(status): \(message)" }
    }

    public init(kubeconfigPath: String) throws {
        guard let config = try KubeConfig.load(kubeconfigPath) else {
            throw Failure(status: 0, message: "kubeconfig \(kubeconfigPath) does not exist")
        }
        guard let cluster = config.currentCluster, let user = config.currentUser else {
            throw Failure(status: 0, message: "kubeconfig \(kubeconfigPath): current-context names no cluster or user")
        }
        func pem(data: String?, file: String?, what: String) throws -> String? {
            if let text = KubeConfig.decodeData(data) { return text }
            if let file {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw Failure(status: 0, message: "kubeconfig \(kubeconfigPath): cannot read \(what) \(file)")
                }
                return text
            }
            return nil
        }
        let ca = try pem(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority, what: "certificate-authority")
        let cert = try pem(data: user.clientCertificateData, file: user.clientCertificate, what: "client-certificate")
        let key = try pem(data: user.clientKeyData, file: user.clientKey, what: "client-key")
        guard let url = URL(string: cluster.server), url.scheme == "https", let host = url.host else {
            throw Failure(status: 0, message: "kubeconfig \(kubeconfigPath): server \(cluster.server) is not an https:// URL")
        }
        server = cluster.server
        http = try HTTPSClient(host: host, port: url.port ?? 443, caPEM: ca, certificatePEM: cert, keyPEM: key)
    }

    /// A request with a JSON body; returns the decoded response, throwing `Failure` for non-2xx.
    @discardableResult
    public func call(_ method: String, _ path: String, _ body: JSONValue? = nil,
                     contentType: String = "application/json") async throws -> JSONValue {
        var headers = [("accept", "application/json")]
        if body != nil { headers.append(("content-type", contentType)) }
        let response = try await http.send(.init(rawValue: method), path, headers: headers, body: body.map { JSONWriter.write($0) })
        let json = (try? JSONParser.parse(response.body)) ?? .null
        guard (200..<300).contains(response.status) else {
            throw Failure(status: response.status, message: json["message"]?.string ?? String(decoding: response.body.prefix(200), as: UTF8.self))
        }
        return json
    }
}

extension APIServerClient.Failure {
    public var isNotFound: Bool { status == 404 }
    public var isConflict: Bool { status == 409 }
}
