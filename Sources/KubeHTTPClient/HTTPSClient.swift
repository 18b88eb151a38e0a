import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTPS/1.1 client with a client certificate, for calls that are not an API client's: the kube-apiserver
/// to a kubelet (pod logs) and bootstrap's health checks. One connection per request keeps failure handling trivial;
/// these calls are seconds apart. (API clients, the kubelet included, use KubeClient's one HTTP/2 connection.)
public struct HTTPSClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
    }

    public struct StreamingResponse: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: AsyncThrowingStream<[UInt8], any Error>
    }

    public let host: String
    public let port: Int
    /// nil speaks plain HTTP (the apiserver's proxy to a pod or service endpoint without an `https:` prefix).
    private let context: NIOSSLContext?
    /// The name the server's certificate must carry (and SNI sends); nil checks it against the address dialled.
    private var serverHostname: String?
    /// Host header value; `host:port` unless given.
    private var authority: String?
    /// How long `send` may take in all, connecting included.
    public var timeout: TimeAmount = .seconds(15)
    public var connectTimeout: TimeAmount = .seconds(5)
    /// A response body beyond this many bytes fails the request (`HTTPSClientError.responseTooLarge`).
    public var maxResponseBytes = Int.max

    /// `caPEM` nil means the server certificate is not verified (the apiserver's default towards kubelets). With
    /// `serverName` the certificate must also be issued for that name (the aggregator's `<service>.<namespace>.svc`).
    public init(host: String, port: Int, caPEM: String?, certificatePEM: String?, keyPEM: String?, serverName: String? = nil) throws {
        self.host = host
        self.port = port
        serverHostname = caPEM == nil ? nil : serverName
        var config = TLSConfiguration.makeClientConfiguration()
        if let caPEM {
            // An empty bundle verifies against the system's roots.
            if !caPEM.isEmpty { config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8))) }
            config.certificateVerification = serverName == nil ? .noHostnameVerification : .fullVerification
        } else {
            config.certificateVerification = .none
        }
        if let certificatePEM, let keyPEM {
            config.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
            config.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        }
        config.applicationProtocols = ["http/1.1"]
        context = try NIOSSLContext(configuration: config)
    }

    /// A client that verifies the server fully: its certificate chains to `caPEM` (the system's roots when nil) and
    /// names `serverName` (the dialled address when nil), as a Go client with that CA and ServerName does.
    public init(host: String, port: Int, serverName: String?, caPEM: String?) throws {
        self.host = host
        self.port = port
        var config = TLSConfiguration.makeClientConfiguration()
        if let caPEM {
            config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        } else {
            config.trustRoots = .default
        }
        config.certificateVerification = .fullVerification
        config.applicationProtocols = ["http/1.1"]
        // A deadline closes the connection: waiting the default 5 s for the peer's close_notify would stretch the
        // caller's timeout by as much.
        config.shutdownTimeout = .milliseconds(100)
        context = try NIOSSLContext(configuration: config)
        serverHostname = serverName
        if let serverName { authority = "\(serverName):\(port)" }
    }

    /// Plain HTTP/1.1 to host:port, for the apiserver's `pods/proxy` and `services/proxy` (upstream's default
    /// scheme there is http).
    public init(plainTextHost host: String, port: Int) {
        self.host = host
        self.port = port
        context = nil
    }

    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    private func connect() async throws -> Channel {
        let context = self.context
        let serverHostname = self.serverHostname
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(connectTimeout)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Channel(wrappingChannelSynchronously: channel)
                }
            }
    }

    private func head(_ method: HTTPMethod, _ path: String, _ headers: [(String, String)], bodyLength: Int?) -> HTTPRequestHead {
        var h = HTTPHeaders([("host", authority ?? "\(host):\(port)"), ("connection", "close")])
        if !headers.contains(where: { $0.0.lowercased() == "user-agent" }) { h.add(name: "user-agent", value: "kubestrap") }
        for (name, value) in headers { h.add(name: name, value: value) }
        if let bodyLength { h.add(name: "content-length", value: String(bodyLength)) }
        return HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: h)
    }

    /// Sends a request and reads the whole response.
    public func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> Response {
        // The deadline counts from before the dial: a slow connect leaves the request less time, not more.
        let deadline = NIODeadline.now() + timeout
        let channel = try await connect()
        let timer = channel.channel.eventLoop.scheduleTask(deadline: deadline) { channel.channel.close(promise: nil) }
        defer { timer.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            // A write can fail because the server already answered and closed (it read the body it was told the length
            // of): the answer is still read and returned. A connection that failed otherwise (a refused TLS handshake)
            // has its reason on the inbound side; the write's error is the last resort.
            var writeError: (any Error)?
            do {
                try await outbound.write(.head(head(method, path, headers, bodyLength: body?.count)))
                if let body, !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                try await outbound.write(.end(nil))
            } catch {
                writeError = error
            }
            var response = Response(status: 0, headers: [], body: [])
            for try await part in inbound {
                switch part {
                case .head(let h):
                    response.status = Int(h.status.code)
                    response.headers = h.headers.map { ($0.name, $0.value) }
                case .body(var buffer):
                    guard buffer.readableBytes <= maxResponseBytes - response.body.count else {
                        throw HTTPSClientError.responseTooLarge(maxResponseBytes)
                    }
                    response.body += buffer.readBytes(length: buffer.readableBytes) ?? []
                case .end: return response
                }
            }
            throw writeError ?? HTTPSClientError("connection to \(host):\(port) closed before the response ended")
        }
    }

    /// Sends a GET and hands the body over as it arrives (log follow). The stream ends with the response; cancel
    /// the consuming task to hang up.
    public func stream(_ path: String, headers: [(String, String)] = []) async throws -> StreamingResponse {
        try await stream(.GET, path, headers: headers, body: nil, deadline: nil)
    }

    /// Sends any request and hands the response body over as it arrives (a request the aggregator passes on).
    /// With a deadline the connection is closed when it passes, ending the exchange with an error.
    public func stream(_ method: HTTPMethod, _ path: String, headers: [(String, String)], body: [UInt8]?,
                       deadline: NIODeadline?) async throws -> StreamingResponse {
        let channel = try await connect()
        let timer = deadline.map { d in channel.channel.eventLoop.scheduleTask(deadline: d) { channel.channel.close(promise: nil) } }
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let (heads, headContinuation) = AsyncThrowingStream<(Int, [(String, String)]), any Error>.makeStream()
        let request = head(method, path, headers, bodyLength: body.map(\.count))
        let task = Task {
            defer { timer?.cancel() }
            do {
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(.head(request))
                    if let body, !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                    try await outbound.write(.end(nil))
                    for try await part in inbound {
                        switch part {
                        case .head(let h):
                            headContinuation.yield((Int(h.status.code), h.headers.map { ($0.name, $0.value) }))
                            headContinuation.finish()
                        case .body(var buffer): continuation.yield(buffer.readBytes(length: buffer.readableBytes) ?? [])
                        case .end: continuation.finish(); return
                        }
                    }
                    headContinuation.finish(throwing: HTTPSClientError("connection to \(host):\(port) closed before the response"))
                    continuation.finish(throwing: HTTPSClientError("connection to \(host):\(port) closed before the response ended"))
                }
            } catch {
                headContinuation.finish(throwing: error)
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        guard let (status, responseHeaders) = try await heads.first(where: { _ in true }) else {
            throw HTTPSClientError("connection to \(host):\(port) closed before the response")
        }
        return StreamingResponse(status: status, headers: responseHeaders, body: stream)
    }
}

public struct HTTPSClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }

    public static func responseTooLarge(_ limit: Int) -> HTTPSClientError {
        HTTPSClientError("response body exceeds the limit of \(limit) bytes")
    }
}
