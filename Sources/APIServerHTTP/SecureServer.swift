import APIServer
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

/// The HTTPS front of the kube-apiserver: TLS with ALPN (h2 for kubectl, http/1.1 for curl and old clients),
/// the client certificate authenticated once per connection and shared by its HTTP/2 streams, bodies capped at
/// --max-request-body-bytes, and streamed responses (watch) flushed per event.
public final class SecureServer: Sendable {
    public struct Configuration: Sendable {
        public var bindAddress: String
        public var port: Int
        public var certificateFile: String
        public var privateKeyFile: String
        public var clientCA: ClientCertificateAuthenticator?
        /// `--requestheader-*`: front proxies (the aggregator) that name the user in headers.
        public var requestHeader: RequestHeaderAuthenticator?
        public var timeouts: ConnectionTimeouts

        public init(bindAddress: String, port: Int, certificateFile: String, privateKeyFile: String,
                    clientCA: ClientCertificateAuthenticator?, requestHeader: RequestHeaderAuthenticator? = nil,
                    timeouts: ConnectionTimeouts = ConnectionTimeouts()) {
            self.bindAddress = bindAddress
            self.port = port
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
            self.clientCA = clientCA
            self.requestHeader = requestHeader
            self.timeouts = timeouts
        }
    }

    typealias HTTPChannel = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Negotiated = NIONegotiatedHTTPVersion<(HTTPChannel, Identity), NIOHTTP2Handler.AsyncStreamMultiplexer<Void>>

    /// The authenticated identity of a connection (nil: anonymous; rejected: a certificate that did not verify).
    struct Identity: Sendable {
        var peerCertificate: [UInt8]?
        var user: UserInfo?
        var rejection: String?
        /// The certificate is a front proxy's (`--requestheader-client-ca-file`): its headers name the user.
        var frontProxy = false
    }

    let configuration: Configuration
    private let api: APIServer
    private let logger: Logger
    private let sslContext: NIOSSLContext
    private let serverChannel = Mutex<(any Channel)?>(nil)
    private let inFlight = Mutex<Int>(0)

    public init(configuration: Configuration, api: APIServer, logger: Logger) throws {
        self.configuration = configuration
        self.api = api
        self.logger = logger
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do { chain = try NIOSSLCertificate.fromPEMFile(configuration.certificateFile) } catch {
            throw ServerConfigurationError("--tls-cert-file \(configuration.certificateFile): \(error)")
        }
        do { key = try NIOSSLPrivateKey(file: configuration.privateKeyFile, format: .pem) } catch {
            throw ServerConfigurationError("--tls-private-key-file \(configuration.privateKeyFile): \(error)")
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.applicationProtocols = ["h2", "http/1.1"]
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = configuration.clientCA == nil && configuration.requestHeader == nil ? .none : .optionalVerification
        do { sslContext = try NIOSSLContext(configuration: tls) } catch {
            throw ServerConfigurationError("TLS configuration (--tls-cert-file/--tls-private-key-file): \(error)")
        }
    }

    /// Binds, then serves until the listening socket is closed by `shutdown`. Returns the bound port (useful with
    /// port 0) through `onBound` before serving.
    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let sslContext = self.sslContext
        let verify = configuration.clientCA != nil || configuration.requestHeader != nil
        let timeouts = configuration.timeouts
        let logger = self.logger
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: configuration.bindAddress, port: configuration.port) { channel -> EventLoopFuture<EventLoopFuture<Negotiated>> in
                channel.eventLoop.makeCompletedFuture {
                    // Best effort: a sandbox (systemd-nspawn's seccomp filter) may refuse socket options, and a
                    // refused option on one connection must not stop the server.
                    try? channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    let handler: NIOSSLServerHandler
                    if verify {
                        // Accept any certificate in the handshake; it is verified against the client CA afterwards
                        // so a bad one yields 401 like upstream instead of a TLS alert.
                        handler = NIOSSLServerHandler(context: sslContext, customVerificationCallback: { _, promise in
                            promise.succeed(.certificateVerified)
                        })
                    } else {
                        handler = NIOSSLServerHandler(context: sslContext)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(ConnectionDeadlineHandler(timeouts: timeouts, logger: logger))
                }.flatMap {
                    channel.configureHTTP2AsyncSecureUpgrade(
                        http1ConnectionInitializer: { ch in Self.configureHTTP1(ch) },
                        http2ConnectionInitializer: { ch in self.configureHTTP2(ch) })
                }
            }
        serverChannel.withLock { $0 = channel.channel }
        onBound(channel.channel.localAddress?.port ?? configuration.port)
        try await withThrowingDiscardingTaskGroup { group in
            try await channel.executeThenClose { inbound in
                for try await negotiation in inbound {
                    group.addTask { await self.serveConnection(negotiation) }
                }
            }
        }
    }

    /// Stops accepting; open connections finish their requests, and watches were ended by `APIServer.stop()`.
    public func stopAccepting() async {
        let channel = serverChannel.withLock { $0 }
        try? await channel?.close()
    }

    public var requestsInFlight: Int { inFlight.withLock { $0 } }

    /// Only the DER bytes leave the event loop; verification happens in `authenticate`.
    static func peerIdentity(_ channel: any Channel) -> Identity {
        guard let cert = try? channel.pipeline.syncOperations.nioSSL_peerCertificate(),
              let der = try? cert.toDERBytes() else { return Identity() }
        return Identity(peerCertificate: der)
    }

    func authenticate(_ raw: Identity) -> Identity {
        guard let der = raw.peerCertificate else { return Identity() }
        // As upstream's union: request-header authentication first, then x509 against --client-ca-file.
        var identity = Identity()
        if let requestHeader = configuration.requestHeader { identity.frontProxy = requestHeader.verifiesProxy(derBytes: der) == nil }
        guard let ca = configuration.clientCA else { return identity }
        switch ca.authenticate(derBytes: der) {
        case .user(let user): identity.user = user
        case .rejected(let why): identity.rejection = why
        }
        return identity
    }

    func serveConnection(_ negotiation: EventLoopFuture<Negotiated>) async {
        do {
            switch try await negotiation.get() {
            case .http1_1(let (channel, raw)):
                let identity = authenticate(raw)
                await serveRequests(channel, identity)
            case .http2(let multiplexer):
                // Each stream is served by its HTTP2RequestHandler; this only follows the connection to its end.
                for try await _ in multiplexer.inbound {}
            }
        } catch {
            logger.debug("connection ended: \(error)")
        }
    }

    /// Answers one request of an HTTP/2 stream, then closes the stream (a no-op once both sides ended it). The
    /// caller counted the request in flight (before its task started, so a shutdown cannot miss it); this uncounts it.
    func serveStream(_ channel: any Channel, head: HTTPRequestHead, body: RequestBody, identity: ConnectionIdentity) async {
        defer { requestFinished() }
        let response = await respond(head: head, body: body, identity: identity.resolve(self))
        do {
            _ = try await ResponseWriter(channel: channel).write(response, head: head)
        } catch {
            logger.debug("response on an HTTP/2 stream not delivered: \(error)")
        }
        channel.close(promise: nil)
    }

    var maxRequestBodyBytes: Int { api.options.maxRequestBodyBytes }
    func requestStarted() { inFlight.withLock { $0 += 1 } }
    func requestFinished() { inFlight.withLock { $0 -= 1 } }

    /// Serves requests on an HTTP/1.1 connection (keep-alive).
    func serveRequests(_ channel: HTTPChannel, _ identity: Identity) async {
        do {
            try await channel.executeThenClose { inbound, _ in
                let writer = ResponseWriter(channel: channel.channel)
                var iterator = inbound.makeAsyncIterator()
                while true {
                    guard let part = try await iterator.next() else { return }
                    guard case .head(let head) = part else { continue }
                    var body = RequestBody(head: head, limit: maxRequestBodyBytes)
                    readBody: while let next = try await iterator.next() {
                        switch next {
                        case .body(let buffer): body.append(buffer)
                        case .end, .head: break readBody
                        }
                    }
                    requestStarted()
                    defer { requestFinished() }
                    let response = await respond(head: head, body: body, identity: identity)
                    if let upgrade = response.upgrade, let kubelets = api.kubelets as? KubeletClient {
                        // exec, attach, port-forward: the connection is the kubelet's from here on.
                        await StreamUpgradeProxy(kubelets: kubelets, logger: logger).proxy(head: head, upgrade: upgrade, channel: channel.channel)
                        return
                    }
                    let outcome = try await writer.write(response, head: head)
                    if outcome == .clientGone || !head.isKeepAlive { return }
                }
            }
        } catch {
            logger.debug("request stream ended: \(error)")
        }
    }

    func respond(head: HTTPRequestHead, body: RequestBody, identity: Identity) async -> APIResponse {
        // As upstream's union authenticator: a verified client certificate decides; otherwise a bearer token; a
        // credential that fails (a certificate of another CA, an unknown or invalid token) is 401, never anonymous.
        var headers = head.headers
        if identity.frontProxy, let requestHeader = configuration.requestHeader, let proxied = requestHeader.user(headers) {
            headers = requestHeader.stripping(headers)
            if body.tooLarge { return .error(.tooLarge(body.limit)) }
            let request = APIRequest(method: head.method.rawValue, uri: head.uri, headers: headers.map { ($0.name, $0.value) },
                                     body: body.bytes, user: proxied)
            return await api.handle(request)
        }
        var user = identity.user ?? .anonymous
        if identity.user == nil, let rejection = identity.rejection {
            logger.debug("client certificate rejected: \(rejection)")
            return .error(.unauthorized)
        }
        if identity.user == nil, let authorization = head.headers.first(name: "authorization") {
            guard let tokenUser = await api.authenticateBearer(authorization) else { return .error(.unauthorized) }
            user = tokenUser
        }
        if body.tooLarge { return .error(.tooLarge(body.limit)) }
        let request = APIRequest(method: head.method.rawValue, uri: head.uri,
                                 headers: head.headers.map { ($0.name, $0.value) }, body: body.bytes, user: user)
        return await api.handle(request)
    }
}
