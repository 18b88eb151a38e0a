/// How the kube-apiserver reaches an admission webhook: one HTTPS POST (implemented over NIO in APIServerHTTP, as
/// `KubeletConnector` is), verified against the webhook's caBundle or the system roots.
public protocol WebhookTransport: Sendable {
    /// Sends `body` (an AdmissionReview, JSON) to `target` and reads the answer, at most `maxResponseBytes` of it.
    /// Fails within `timeout`; the error's description is what follows `Post "URL": ` in upstream's message
    /// (`dial tcp 127.0.0.1:9443: connect: connection refused`, `context deadline exceeded`, …).
    func post(_ target: WebhookTarget, body: [UInt8], timeout: Duration, maxResponseBytes: Int) async throws -> WebhookHTTPResponse
}

/// Where one call goes: the address dialled and the name the serving certificate must carry.
public struct WebhookTarget: Sendable, Equatable {
    /// The address dialled: the URL's host, or a ready endpoint address of the Service.
    public var host: String
    public var port: Int
    /// Path and query, `/validate?timeout=10s`.
    public var pathAndQuery: String
    /// The name verified in the server certificate and sent as SNI and Host: the URL's host, or
    /// `<service>.<namespace>.svc`; nil when the URL's host is an IP address (verified against the IP).
    public var serverName: String?
    /// PEM from clientConfig.caBundle; nil for the system roots.
    public var caPEM: String?

    public init(host: String, port: Int, pathAndQuery: String, serverName: String?, caPEM: String?) {
        self.host = host
        self.port = port
        self.pathAndQuery = pathAndQuery
        self.serverName = serverName
        self.caPEM = caPEM
    }
}

public struct WebhookHTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// A transport failure, worded as Go's net/http words it.
public struct WebhookTransportError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
