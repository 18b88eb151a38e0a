import APIServer
import KubeHTTPClient
import NIOCore
import NIOHTTP1

/// The apiserver's connection for the `proxy` subresources, one connection per request: plain HTTP or HTTPS without
/// verifying the backend (pod and service endpoints are reached by IP, as upstream's proxy transport does), and for a
/// node's kubelet port HTTPS with `--kubelet-client-certificate`/`--kubelet-client-key`.
public struct ConnectProxyClient: ConnectTransport {
    let kubeletCertificatePEM: String?
    let kubeletKeyPEM: String?

    /// `kubelets` gives the kubelet client certificate; without it `nodes/proxy` to the kubelet port is refused.
    public init(kubelets: KubeletClient?) {
        kubeletCertificatePEM = kubelets?.certificatePEM
        kubeletKeyPEM = kubelets?.keyPEM
    }

    public func send(to location: ProxyLocation, method: String, path: String, headers: [(String, String)],
                     body: [UInt8]) async throws -> AggregatedResponse {
        let port = location.port ?? (location.scheme == "https" ? 443 : 80)
        let client: HTTPSClient
        if location.scheme == "https" {
            var certificate: String?, key: String?
            if location.kubeletCredentials {
                guard let c = kubeletCertificatePEM, let k = kubeletKeyPEM else {
                    throw HTTPSClientError("no --kubelet-client-certificate and --kubelet-client-key to reach the kubelet with")
                }
                (certificate, key) = (c, k)
            }
            client = try HTTPSClient(host: location.host, port: port, caPEM: nil, certificatePEM: certificate, keyPEM: key)
        } else {
            client = HTTPSClient(plainTextHost: location.host, port: port)
        }
        do {
            let response = try await client.stream(HTTPMethod(rawValue: method), path, headers: headers,
                                                   body: body.isEmpty ? nil : body, deadline: nil)
            return AggregatedResponse(status: response.status, headers: response.headers, body: response.body)
        } catch {
            throw DialError(error, host: location.host, port: port)
        }
    }
}
