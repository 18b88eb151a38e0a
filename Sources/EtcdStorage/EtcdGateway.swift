import KubeJSON
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// etcd's v3 API through its JSON gateway (`POST /v3/kv/range` and friends, HTTP/1.1 on the client port), so the
/// kube-apiserver needs no gRPC stack: swift-stack.md records grpc-swift 2 dropping etcd connections after about
/// 200 keep-alive pings. Unary calls reuse keep-alive connections from a small pool; each watch holds its own.
final class EtcdGateway: Sendable {
    struct Endpoint: Sendable, CustomStringConvertible {
        var host: String
        var port: Int
        var tls: Bool
        var description: String { "\(tls ? "https" : "http")://\(host):\(port)" }

        /// `http://127.0.0.1:2379` or `https://…`, as --etcd-servers takes them.
        init(url: String) throws(EtcdError) {
            let scheme: String, rest: Substring
            if url.hasPrefix("https://") { scheme = "https"; rest = url.dropFirst(8) }
            else if url.hasPrefix("http://") { scheme = "http"; rest = url.dropFirst(7) }
            else { throw EtcdError("--etcd-servers \(url): expected http://host:port or https://host:port") }
            let hostPort = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            guard let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]),
                  port > 0, port < 65536 else {
                throw EtcdError("--etcd-servers \(url): expected a port, as in \(scheme)://127.0.0.1:2379")
            }
            host = String(hostPort[..<colon]).trimmingBrackets()
            self.port = port
            tls = scheme == "https"
        }
    }

    let endpoint: Endpoint
    private let tlsContext: NIOSSLContext?
    private let idle = Mutex<[any Channel]>([])
    static let maxIdle = 64
    static let timeout: TimeAmount = .seconds(10)

    init(endpoint: Endpoint, caFile: String?, certFile: String?, keyFile: String?) throws {
        self.endpoint = endpoint
        guard endpoint.tls else {
            tlsContext = nil
            return
        }
        var config = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            config.trustRoots = .file(caFile)
            // kubeadm's etcd serving certificates name the node and 127.0.0.1; the CA is what is checked.
            config.certificateVerification = .noHostnameVerification
        }
        if let certFile, let keyFile {
            config.certificateChain = try NIOSSLCertificate.fromPEMFile(certFile).map { .certificate($0) }
            config.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
        }
        config.applicationProtocols = ["http/1.1"]
        tlsContext = try NIOSSLContext(configuration: config)
    }

    /// A unary call: `POST path` with a JSON body; the decoded JSON answer, or `EtcdError` with etcd's message.
    func call(_ path: String, _ body: JSONValue) async throws -> JSONValue {
        let response = try await exchange(path, JSONWriter.write(body), mayRetry: path == "/v3/kv/range")
        return try Self.decode(response.status, response.body, path: path)
    }

    private func exchange(_ path: String, _ body: [UInt8], mayRetry: Bool) async throws -> UnaryResponse {
        let (channel, reused) = try await checkout()
        let promise = channel.eventLoop.makePromise(of: UnaryResponse.self)
        let timeout = channel.eventLoop.scheduleTask(in: Self.timeout) {
            promise.fail(EtcdError("\(self.endpoint): no answer to \(path) within 10 s"))
            channel.close(promise: nil)
        }
        do {
            try await channel.writeAndFlush(UnaryRequest(head: head(path), body: body, promise: promise))
            let response = try await promise.futureResult.get()
            timeout.cancel()
            checkin(channel, keepAlive: response.keepAlive)
            return response
        } catch {
            timeout.cancel()
            channel.close(promise: nil)
            // A pooled connection that etcd closed while it sat idle (etcd restarted) fails on its first use; a read
            // can safely go again on a fresh connection. A write cannot: it may have been applied.
            if reused, mayRetry, !(error is EtcdError) {
                return try await exchange(path, body, mayRetry: false)
            }
            if let error = error as? EtcdError { throw error }
            throw EtcdError("\(endpoint)\(path): \(error)")
        }
    }

    /// A streaming call (watch): each line of the chunked answer is one JSON message.
    func stream(_ path: String, _ body: JSONValue) async throws -> (messages: AsyncThrowingStream<JSONValue, any Error>, cancel: @Sendable () -> Void) {
        let (messages, continuation) = AsyncThrowingStream<JSONValue, any Error>.makeStream()
        let channel = try await connect(handler: StreamHandler(continuation: continuation))
        channel.closeFuture.whenComplete { _ in continuation.finish(throwing: EtcdError("\(self.endpoint): the watch connection closed")) }
        var head = head(path)
        head.headers.replaceOrAdd(name: "connection", value: "close")
        let bytes = JSONWriter.write(body)
        head.headers.replaceOrAdd(name: "content-length", value: String(bytes.count))
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: bytes))), promise: nil)
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        return (messages, { channel.close(promise: nil) })
    }

    func close() {
        let channels = idle.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for channel in channels { channel.close(promise: nil) }
    }

    private func head(_ path: String) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: .POST, uri: path,
                        headers: HTTPHeaders([("host", "\(endpoint.host):\(endpoint.port)"), ("content-type", "application/json")]))
    }

    static func decode(_ status: Int, _ body: [UInt8], path: String) throws -> JSONValue {
        let value = try? JSONParser.parse(body)
        guard status == 200, let value else {
            // The gateway answers gRPC errors as {"error": "...", "code": N, "message": "..."}.
            let message = value?["message"]?.string ?? value?["error"]?.string ?? String(decoding: body.prefix(300), as: UTF8.self)
            throw EtcdError("etcd \(path): HTTP \(status): \(message)")
        }
        return value
    }

    /// An idle connection from the pool (reused: true) or a new one.
    private func checkout() async throws -> (any Channel, reused: Bool) {
        while let channel = idle.withLock({ $0.popLast() }) {
            if channel.isActive { return (channel, true) }
        }
        return (try await connect(handler: UnaryHandler()), false)
    }

    private func checkin(_ channel: any Channel, keepAlive: Bool) {
        guard keepAlive, channel.isActive else {
            channel.close(promise: nil)
            return
        }
        let kept = idle.withLock { list -> Bool in
            guard list.count < Self.maxIdle else { return false }
            list.append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    private func connect(handler: some ChannelHandler & Sendable) async throws -> any Channel {
        let tlsContext = self.tlsContext
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tlsContext, serverHostname: nil))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            throw EtcdError("cannot reach etcd at \(endpoint): \(error)")
        }
    }
}

private extension String {
    func trimmingBrackets() -> String { hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self }
}

public struct EtcdError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// etcd closed a connection before answering (it restarted, or dropped an idle keep-alive connection).
struct ConnectionClosed: Error, CustomStringConvertible {
    var description: String { "etcd closed the connection before answering" }
}

struct UnaryRequest: Sendable {
    var head: HTTPRequestHead
    var body: [UInt8]
    var promise: EventLoopPromise<UnaryResponse>
}

struct UnaryResponse: Sendable {
    var status: Int
    var body: [UInt8]
    var keepAlive: Bool
}

/// One request at a time per connection: writes it, collects the answer, completes the promise.
final class UnaryHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = UnaryRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<UnaryResponse>?
    private var response = UnaryResponse(status: 0, body: [], keepAlive: true)

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var request = unwrapOutboundIn(data)
        pending = request.promise
        response = UnaryResponse(status: 0, body: [], keepAlive: true)
        request.head.headers.replaceOrAdd(name: "content-length", value: String(request.body.count))
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: request.body)))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response.status = Int(head.status.code)
            response.keepAlive = head.isKeepAlive
        case .body(var buffer):
            response.body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            let promise = pending
            pending = nil
            promise?.succeed(response)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.fail(ConnectionClosed())
        pending = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending?.fail(error)
        pending = nil
        context.close(promise: nil)
    }
}

/// A watch: the gateway streams one JSON object per line for as long as the connection lives.
final class StreamHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private let continuation: AsyncThrowingStream<JSONValue, any Error>.Continuation
    private var status = 0
    private var carry: [UInt8] = []

    init(continuation: AsyncThrowingStream<JSONValue, any Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(var buffer):
            carry += buffer.readBytes(length: buffer.readableBytes) ?? []
            while let newline = carry.firstIndex(of: 0x0a) {
                let line = Array(carry[..<newline])
                carry.removeSubrange(...newline)
                if line.isEmpty { continue }
                do {
                    continuation.yield(try EtcdGateway.decode(status, line, path: "/v3/watch"))
                } catch {
                    continuation.finish(throwing: error)
                    context.close(promise: nil)
                    return
                }
            }
        case .end:
            continuation.finish(throwing: EtcdError("etcd ended the watch"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
