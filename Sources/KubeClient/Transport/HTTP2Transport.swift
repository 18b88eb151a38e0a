import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL

/// The process's one connection to the API server: TLS with the kubeconfig's credentials, HTTP/2, every request and
/// watch a stream on it (as client-go shares one connection per host). A connection that fails or is closed by the
/// server is replaced on the next request.
public actor HTTP2Transport: APITransport {
    typealias Multiplexer = NIOHTTP2Handler.AsyncStreamMultiplexer<Void>
    typealias Stream = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    private let host: String
    private let port: Int
    private let serverName: String?
    private let tls: NIOSSLContext
    private let bearerToken: (@Sendable () -> String?)?
    private let userAgent: String
    private var connection: (channel: any Channel, multiplexer: Multiplexer)?
    private var connecting: Task<(any Channel, Multiplexer), any Error>?
    /// How long a non-streaming request may take (client-go has none by default; a hung server must not hang a
    /// controller's worker forever).
    public let timeout: Duration

    public init(config: ClientConfig, timeout: Duration = .seconds(60)) throws {
        host = config.host
        port = config.port
        serverName = config.tlsServerName
        var tlsConfig = TLSConfiguration.makeClientConfiguration()
        if let ca = config.caPEM {
            tlsConfig.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        }
        if config.insecureSkipTLSVerify {
            tlsConfig.certificateVerification = .none
        } else if config.tlsServerName == nil, Self.isIPAddress(config.host) {
            // The apiserver's certificate carries its IPs as SANs; NIOSSL checks IP SANs when no name is given.
            tlsConfig.certificateVerification = .fullVerification
        }
        if let cert = config.certificatePEM, let key = config.keyPEM {
            tlsConfig.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(cert.utf8)).map { .certificate($0) }
            tlsConfig.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        }
        tlsConfig.applicationProtocols = ["h2"]
        tls = try NIOSSLContext(configuration: tlsConfig)
        bearerToken = config.bearerToken
        userAgent = config.userAgent
        self.timeout = timeout
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
    }

    private func multiplexer() async throws -> Multiplexer {
        if let connection, connection.channel.isActive { return connection.multiplexer }
        connection = nil
        if let connecting { return try await connecting.value.1 }
        let host = self.host, port = self.port, tls = self.tls
        let sni = serverName ?? (Self.isIPAddress(host) ? nil : host)
        let task = Task { () throws -> (any Channel, Multiplexer) in
            try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: sni))
                        var configuration = NIOHTTP2Handler.Configuration()
                        // Go's HTTP/2 transport's settings: a 4 MiB stream window (big lists), a large connection window.
                        configuration.connection.initialSettings = [
                            HTTP2Setting(parameter: .enablePush, value: 0),
                            HTTP2Setting(parameter: .initialWindowSize, value: 4 << 20),
                            HTTP2Setting(parameter: .maxHeaderListSize, value: 10 << 20),
                        ]
                        configuration.connection.targetWindowSize = 1 << 30
                        configuration.stream.targetWindowSize = 4 << 20
                        let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                            mode: .client, configuration: configuration) { $0.eventLoop.makeSucceededVoidFuture() }
                        return (channel, multiplexer)
                    }
                }
        }
        connecting = task
        defer { connecting = nil }
        let made = try await task.value
        connection = made
        return made.1
    }

    private func openStream() async throws -> Stream {
        do {
            return try await openStream(on: multiplexer())
        } catch {
            // A connection the server just closed (GOAWAY) refuses new streams: one retry on a fresh one.
            connection = nil
            return try await openStream(on: multiplexer())
        }
    }

    private func openStream(on multiplexer: Multiplexer) async throws -> Stream {
        try await multiplexer.openStream { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .https))
                return try Stream(wrappingChannelSynchronously: channel)
            }
        }
    }

    private func head(_ request: TransportRequest) -> HTTPRequestHead {
        var headers = HTTPHeaders([("host", "\(host):\(port)"), ("user-agent", userAgent)])
        if let token = bearerToken?() { headers.add(name: "authorization", value: "Bearer \(token)") }
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            headers.add(name: "content-length", value: String(request.body.count))
        }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.uri, headers: headers)
    }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        let stream = try await openStream()
        let head = head(request)
        let timer = stream.channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)) {
            stream.channel.close(promise: nil)
        }
        defer { timer.cancel() }
        return try await stream.executeThenClose { inbound, outbound in
            try await outbound.write(.head(head))
            if !request.body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: request.body)))) }
            try await outbound.write(.end(nil))
            var status = 0
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let h): status = Int(h.status.code)
                case .body(var buffer): body.writeBuffer(&buffer)
                case .end: return TransportResponse(status: status, body: Array(buffer: body))
                }
            }
            throw TransportError("the API server ended \(request.method) \(request.uri) before its response was complete")
        }
    }

    public func stream(_ request: TransportRequest) async throws -> TransportStream {
        let stream = try await openStream()
        let head = head(request)
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let (heads, headContinuation) = AsyncThrowingStream<(Int, [UInt8]), any Error>.makeStream()
        let task = Task {
            do {
                try await stream.executeThenClose { inbound, outbound in
                    try await outbound.write(.head(head))
                    try await outbound.write(.end(nil))
                    var status = 0
                    var errorBody: [UInt8] = []
                    for try await part in inbound {
                        switch part {
                        case .head(let h):
                            status = Int(h.status.code)
                            if (200..<300).contains(status) { headContinuation.yield((status, [])); headContinuation.finish() }
                        case .body(var buffer):
                            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
                            if (200..<300).contains(status) { continuation.yield(bytes) } else { errorBody += bytes }
                        case .end:
                            if !(200..<300).contains(status) { headContinuation.yield((status, errorBody)); headContinuation.finish() }
                            continuation.finish()
                            return
                        }
                    }
                    headContinuation.finish(throwing: TransportError("the API server closed the stream of \(request.uri)"))
                    continuation.finish()
                }
            } catch {
                headContinuation.finish(throwing: error)
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        guard let (status, errorBody) = try await heads.first(where: { _ in true }) else {
            task.cancel()
            throw TransportError("the API server closed the stream of \(request.uri) before answering")
        }
        return TransportStream(status: status, errorBody: errorBody, chunks: chunks)
    }

    /// Closes the connection; requests under way fail.
    public func close() async {
        if let connection { try? await connection.channel.close() }
        connection = nil
    }
}
