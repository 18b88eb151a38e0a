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
    /// How long a unary call may wait for etcd's answer, the write included.
    let timeout: TimeAmount
    /// Tests only: adds handlers to every new connection's pipeline after the gateway's own (to make writes fail
    /// before or after the gateway's handler sees them, as a connection torn down under it does).
    private let interceptor: (@Sendable (ChannelPipeline.SynchronousOperations) throws -> Void)?
    private let connections = Mutex<Connections>(Connections())
    static let maxIdle = 64
    /// Watch messages buffered for a reader that has not taken them yet; past this the watch ends instead of
    /// growing without bound (the reader watches again from its last revision, as after any ended watch).
    static let streamBuffer = 1024
    /// The longest watch message taken before it must end in a newline; etcd's own limit on a message is far below.
    static let maxLine = 256 << 20

    private struct Connections {
        var idle: [any Channel] = []
        var watches: [ObjectIdentifier: any Channel] = [:]
        var closed = false
    }

    init(endpoint: Endpoint, caFile: String?, certFile: String?, keyFile: String?, timeout: TimeAmount = .seconds(10),
         interceptor: (@Sendable (ChannelPipeline.SynchronousOperations) throws -> Void)? = nil) throws {
        self.endpoint = endpoint
        self.timeout = timeout
        self.interceptor = interceptor
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
    /// A cancelled caller gets `CancellationError` at once; the connection is dropped, not reused.
    func call(_ path: String, _ body: JSONValue) async throws -> JSONValue {
        let response = try await exchange(path, JSONWriter.write(body), mayRetry: path == "/v3/kv/range")
        return try Self.decode(response.status, response.body, path: path)
    }

    private func exchange(_ path: String, _ body: [UInt8], mayRetry: Bool) async throws -> UnaryResponse {
        try Task.checkCancellation()
        let (channel, reused) = try await checkout()
        // NIO traps on a promise that is dropped unfulfilled ("leaking promise"), and the handler only takes this one
        // over if the request reaches it; so each way out completes it here as well (a second completion is a no-op).
        let promise = channel.eventLoop.makePromise(of: UnaryResponse.self)
        let endpoint = endpoint, timeout = timeout
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(EtcdError("\(endpoint)\(path): no answer within \(Self.format(timeout))"))
        }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        channel.writeAndFlush(UnaryRequest(head: head(path), body: body, promise: promise)).whenFailure { error in
            promise.fail(WriteFailed(underlying: error))
        }
        let response: UnaryResponse
        do {
            response = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                promise.fail(CancellationError())
            }
        } catch {
            // Whatever is still in flight on it, the connection cannot carry another request.
            channel.close(promise: nil)
            if error is CancellationError { throw error }
            // A pooled connection that etcd closed while it sat idle (etcd restarted) fails on its first use; a read
            // can safely go again on a fresh connection. A write cannot: it may have been applied.
            if reused, mayRetry, !(error is EtcdError) {
                return try await exchange(path, body, mayRetry: false)
            }
            if let error = error as? EtcdError { throw error }
            throw EtcdError("\(endpoint)\(path): \(error)")
        }
        checkin(channel, keepAlive: response.keepAlive)
        return response
    }

    /// A streaming call (watch): each line of the chunked answer is one JSON message. The connection is closed when
    /// `cancel` is called, when the reader stops iterating or drops the stream, or when the gateway is closed; the
    /// stream ends with an error when the connection closes under it, when etcd does not start answering within
    /// `timeout`, or when the reader falls `streamBuffer` behind. Once etcd answered, a silent watch is fine.
    func stream(_ path: String, _ body: JSONValue) async throws -> (messages: AsyncThrowingStream<JSONValue, any Error>, cancel: @Sendable () -> Void) {
        let (messages, continuation) = AsyncThrowingStream<JSONValue, any Error>.makeStream(bufferingPolicy: .bufferingOldest(Self.streamBuffer))
        let channel: any Channel
        do {
            channel = try await connect(handler: StreamHandler(continuation: continuation, answerTimeout: timeout, endpoint: endpoint))
        } catch {
            continuation.finish(throwing: error)
            throw error
        }
        continuation.onTermination = { _ in channel.close(promise: nil) }
        let id = ObjectIdentifier(channel)
        let registered = connections.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.watches[id] = channel
            return true
        }
        let endpoint = endpoint
        channel.closeFuture.whenComplete { _ in
            _ = self.connections.withLock { $0.watches.removeValue(forKey: id) }
            continuation.finish(throwing: EtcdError("\(endpoint): the watch connection closed"))
        }
        guard registered else {
            channel.close(promise: nil)
            throw EtcdError("\(endpoint)\(path): the etcd client is closed")
        }
        var head = head(path)
        head.headers.replaceOrAdd(name: "connection", value: "close")
        let bytes = JSONWriter.write(body)
        head.headers.replaceOrAdd(name: "content-length", value: String(bytes.count))
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: bytes))), promise: nil)
        do {
            try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        } catch {
            channel.close(promise: nil)
            throw EtcdError("\(endpoint)\(path): cannot send the watch request: \(error)")
        }
        return (messages, { channel.close(promise: nil) })
    }

    /// Closes the pooled connections and the open watches; calls after this fail, answers in flight are not pooled.
    func close() {
        let channels = connections.withLock { state in
            state.closed = true
            defer {
                state.idle.removeAll()
                state.watches.removeAll()
            }
            return state.idle + Array(state.watches.values)
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

    static func format(_ amount: TimeAmount) -> String {
        amount.nanoseconds % 1_000_000_000 == 0 ? "\(amount.nanoseconds / 1_000_000_000) s" : "\(amount.nanoseconds / 1_000_000) ms"
    }

    /// An idle connection from the pool (reused: true) or a new one.
    private func checkout() async throws -> (any Channel, reused: Bool) {
        while let channel = try connections.withLock({ state throws(EtcdError) -> (any Channel)? in
            guard !state.closed else { throw EtcdError("\(endpoint): the etcd client is closed") }
            return state.idle.popLast()
        }) {
            if channel.isActive { return (channel, true) }
        }
        return (try await connect(handler: UnaryHandler()), false)
    }

    private func checkin(_ channel: any Channel, keepAlive: Bool) {
        guard keepAlive, channel.isActive else {
            channel.close(promise: nil)
            return
        }
        let kept = connections.withLock { state -> Bool in
            guard !state.closed, state.idle.count < Self.maxIdle else { return false }
            state.idle.append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    private func connect(handler: some ChannelHandler & Sendable) async throws -> any Channel {
        let tlsContext = self.tlsContext, interceptor = self.interceptor
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
                        try interceptor?(channel.pipeline.syncOperations)
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

/// The request could not be written (the connection was closed or broke under it).
struct WriteFailed: Error, CustomStringConvertible {
    var underlying: any Error
    var description: String { "cannot send the request: \(underlying)" }
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

/// One request at a time per connection: writes it, collects the answer, completes the promise. Whatever ends the
/// connection or removes the handler fails a request still waiting.
final class UnaryHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = UnaryRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<UnaryResponse>?
    private var response = UnaryResponse(status: 0, body: [], keepAlive: true)

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var request = unwrapOutboundIn(data)
        guard pending == nil else {
            // The pool hands a connection to one caller at a time; a second request would get the first one's answer.
            let error = EtcdError("an etcd connection was given a second request while one was in flight")
            request.promise.fail(error)
            promise?.fail(error)
            return
        }
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
        fail(ConnectionClosed())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(ConnectionClosed())
    }

    private func fail(_ error: any Error) {
        let promise = pending
        pending = nil
        promise?.fail(error)
    }
}

/// A watch: the gateway streams one JSON object per line for as long as the connection lives. The stream is
/// finished on every way the connection ends; a reader too slow to keep `EtcdGateway.streamBuffer` messages
/// ends the watch, and so does an etcd that does not start answering within `answerTimeout`.
final class StreamHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let continuation: AsyncThrowingStream<JSONValue, any Error>.Continuation
    private let answerTimeout: TimeAmount
    private let endpoint: EtcdGateway.Endpoint
    private var answerDeadline: Scheduled<Void>?
    private var status = 0
    private var carry: [UInt8] = []

    init(continuation: AsyncThrowingStream<JSONValue, any Error>.Continuation, answerTimeout: TimeAmount, endpoint: EtcdGateway.Endpoint) {
        self.continuation = continuation
        self.answerTimeout = answerTimeout
        self.endpoint = endpoint
    }

    /// The deadline for etcd's answer runs from the moment the whole request is written: counted from the connect,
    /// a loaded machine could use it up before the request was even sent.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data), answerDeadline == nil, status == 0 else {
            context.write(data, promise: promise)
            return
        }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let message = "\(endpoint)/v3/watch: no answer within \(EtcdGateway.format(answerTimeout))"
        answerDeadline = context.eventLoop.scheduleTask(in: answerTimeout) {
            bound.value.handler.end(bound.value.context, EtcdError(message))
        }
        context.write(data, promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            answerDeadline?.cancel()
            answerDeadline = nil
            status = Int(head.status.code)
        case .body(var buffer):
            carry += buffer.readBytes(length: buffer.readableBytes) ?? []
            var start = carry.startIndex
            defer { carry.removeSubrange(..<start) }
            while let newline = carry[start...].firstIndex(of: 0x0a) {
                let line = carry[start..<newline]
                start = carry.index(after: newline)
                if line.isEmpty { continue }
                let message: JSONValue
                do {
                    message = try EtcdGateway.decode(status, Array(line), path: "/v3/watch")
                } catch {
                    end(context, error)
                    return
                }
                if case .dropped = continuation.yield(message) {
                    end(context, EtcdError("the watch reader fell \(EtcdGateway.streamBuffer) messages behind"))
                    return
                }
            }
            if carry.count - start > EtcdGateway.maxLine {
                end(context, EtcdError("etcd sent a watch message longer than \(EtcdGateway.maxLine) bytes"))
            }
        case .end:
            end(context, EtcdError("etcd ended the watch"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish(throwing: EtcdError("the watch connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        end(context, error)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        answerDeadline?.cancel()
        answerDeadline = nil
        continuation.finish(throwing: EtcdError("the watch connection closed"))
    }

    private func end(_ context: ChannelHandlerContext, _ error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
