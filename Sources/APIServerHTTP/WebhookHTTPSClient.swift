import APIServer
import Foundation
import KubeHTTPClient
import NIOCore
import NIOSSL

/// The kube-apiserver's calls to admission webhooks: one HTTPS/1.1 connection per call, closed when it ends (or
/// when the deadline closes it), the server verified against the webhook's caBundle or the system roots.
public struct WebhookHTTPSClient: WebhookTransport {
    public init() {}

    public func post(_ target: WebhookTarget, body: [UInt8], timeout: Duration, maxResponseBytes: Int) async throws -> WebhookHTTPResponse {
        let started = ContinuousClock.now
        var client: HTTPSClient
        do {
            client = try HTTPSClient(host: target.host, port: target.port, serverName: target.serverName, caPEM: target.caPEM)
        } catch {
            throw WebhookTransportError("tls: failed to load the caBundle: \(error)")
        }
        let (seconds, attoseconds) = timeout.components
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue + attoseconds / 1_000_000_000
        client.timeout = .nanoseconds(nanos)
        client.connectTimeout = .nanoseconds(nanos)
        client.maxResponseBytes = maxResponseBytes
        do {
            let response = try await client.send(.POST, target.pathAndQuery, headers: [("content-type", "application/json"),
                                                                                        ("accept", "application/json")], body: body)
            return WebhookHTTPResponse(status: response.status, body: response.body)
        } catch {
            if ContinuousClock.now - started >= timeout { throw WebhookTransportError("context deadline exceeded") }
            throw WebhookTransportError(Self.goWording(error, target: target))
        }
    }

    /// The few failures users meet, worded as Go's net/http and crypto/tls word them.
    static func goWording(_ error: any Error, target: WebhookTarget) -> String {
        let text = String(describing: error)
        let address = target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
        if text.contains("Connection refused") || text.contains("connectionRefused") {
            return "dial tcp \(address): connect: connection refused"
        }
        if text.contains("connectTimeout") { return "dial tcp \(address): i/o timeout" }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
            return "tls: failed to verify certificate: x509: certificate signed by unknown authority"
        }
        if let ssl = error as? NIOSSLExtraError, String(describing: ssl).contains("hostname") {
            return "tls: failed to verify certificate: x509: certificate is valid for other names, not \(target.serverName ?? target.host)"
        }
        if let client = error as? HTTPSClientError { return client.description }
        return text
    }
}
