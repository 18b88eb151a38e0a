/// Where and how the aggregator reaches an aggregated API server: a resolved endpoint of its Service, and the TLS
/// its APIService asks for (the serving certificate checked against `caBundle` for `<service>.<namespace>.svc`, or
/// not at all with `insecureSkipTLSVerify`).
public struct AggregatedEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// `<service>.<namespace>.svc`, the name the serving certificate must carry.
    public var serverName: String
    /// PEM certificates from `spec.caBundle`; nil with `insecureSkipTLSVerify` or for the availability check.
    public var caBundle: [UInt8]?
    public var insecureSkipTLSVerify: Bool

    public init(host: String, port: Int, serverName: String, caBundle: [UInt8]?, insecureSkipTLSVerify: Bool) {
        self.host = host
        self.port = port
        self.serverName = serverName
        self.caBundle = caBundle
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
    }

    /// `https://host:port`, as the aggregator's messages print a resolved location.
    public var url: String { host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)" }
}

/// A response from an aggregated API server, its body handed on as it arrives (watches, logs).
public struct AggregatedResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: AsyncThrowingStream<[UInt8], any Error>

    public init(status: Int, headers: [(String, String)], body: AsyncThrowingStream<[UInt8], any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The aggregator's HTTPS client, presenting the front-proxy client certificate (`--proxy-client-cert-file`); the
/// transport lives beside the HTTP server (APIServerHTTP) so this library stays free of networking.
public protocol AggregationTransport: Sendable {
    /// Sends one request; `timeout` bounds the whole exchange for discovery checks, nil leaves a proxied request
    /// (a watch) open for as long as both sides keep it.
    func send(to endpoint: AggregatedEndpoint, method: String, path: String, headers: [(String, String)], body: [UInt8],
              timeout: Duration?) async throws -> AggregatedResponse
}

extension AggregatedResponse {
    /// Reads the whole body (discovery documents), up to `limit` bytes.
    func collect(limit: Int = 16 << 20) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body {
            bytes += chunk
            if bytes.count > limit { throw AggregationError("response larger than \(limit) bytes") }
        }
        return bytes
    }
}

struct AggregationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
