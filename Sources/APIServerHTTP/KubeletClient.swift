import APIServer
import Foundation
import KubeHTTPClient
import NIOHTTP1

/// The apiserver → kubelet connection for `pods/log`, with --kubelet-client-certificate/--kubelet-client-key.
/// Like upstream without --kubelet-certificate-authority, the kubelet's serving certificate is not verified.
public struct KubeletClient: KubeletConnector {
    let certificatePEM: String
    let keyPEM: String

    public init(certificateFile: String, keyFile: String) throws {
        guard let cert = try? String(contentsOfFile: certificateFile, encoding: .utf8) else {
            throw ServerConfigurationError("--kubelet-client-certificate \(certificateFile): cannot read")
        }
        guard let key = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
            throw ServerConfigurationError("--kubelet-client-key \(keyFile): cannot read")
        }
        certificatePEM = cert
        keyPEM = key
    }

    public func get(host: String, port: Int, path: String) async throws -> APIResponse {
        let client = try HTTPSClient(host: host, port: port, caPEM: nil, certificatePEM: certificatePEM, keyPEM: keyPEM)
        let response = try await client.stream(path)
        let contentType = response.headers.first { $0.0.lowercased() == "content-type" }?.1 ?? "text/plain"
        guard response.status == 200 else {
            var text: [UInt8] = []
            for try await chunk in response.body { text += chunk }
            let message = String(decoding: text, as: UTF8.self)
            let reason = response.status == 404 ? "NotFound" : response.status == 403 ? "Forbidden" : response.status == 400 ? "BadRequest" : "InternalError"
            return .error(StatusError(code: response.status, reason: reason, message: message))
        }
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        let relay = Task {
            do { for try await chunk in response.body { continuation.yield(chunk) } } catch {}
            continuation.finish()
        }
        continuation.onTermination = { _ in relay.cancel() }
        return APIResponse(status: 200, headers: [("content-type", contentType)], body: .stream(stream))
    }
}

/// ComponentStatus probes: plain HTTPS without verifying the component's self-signed serving certificate and
/// without a client certificate (`/healthz` is open to anyone on kube-scheduler and kube-controller-manager).
public struct HealthProber: ComponentProber {
    public init() {}

    public func probe(host: String, port: Int, path: String) async -> String? {
        let url = "https://\(host):\(port)\(path)"
        do {
            let client = try HTTPSClient(host: host, port: port, caPEM: nil, certificatePEM: nil, keyPEM: nil)
            let response = try await client.send(.GET, path)
            if response.status == 200 { return nil }
            return "Get \"\(url)\": status \(response.status): \(String(decoding: response.body.prefix(256), as: UTF8.self))"
        } catch {
            return "Get \"\(url)\": \(error)"
        }
    }
}
