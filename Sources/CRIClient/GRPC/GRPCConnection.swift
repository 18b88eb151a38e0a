import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix

/// A gRPC client connection over a unix socket, for unary calls only (all the CRI's RuntimeService and ImageService
/// calls the kubelet makes are unary). Built on swift-nio-http2 directly rather than grpc-swift's transport so the
/// HTTP/2 configuration is ours: grpc-go servers (containerd, etcd) send a BDP PING after data frames, and
/// swift-nio-http2's default limit of 200 control frames per 30 s would make this client drop a busy connection
/// with ENHANCE_YOUR_CALM (see the etcd finding in the project's swift-stack notes).
public actor GRPCConnection {
    typealias Multiplexer = NIOHTTP2Handler.AsyncStreamMultiplexer<Void>
    typealias Stream = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// The socket path (without `unix://`).
    public let socketPath: String
    private var connection: (channel: any Channel, multiplexer: Multiplexer)?
    /// Why the last connection failed (a GOAWAY, a protocol error), for the error of the calls it took along.
    private let lastConnectionError = NIOLockedValueBox<String?>(nil)
    private var connecting: Task<(any Channel, Multiplexer), any Error>?
    /// gRPC's default maximum message size is 4 MiB; CRI's ListContainers on a busy node can pass it, as upstream's
    /// kubelet allows 16 MiB.
    public let maxMessageSize: Int

    public init(socketPath: String, maxMessageSize: Int = 16 << 20) {
        self.socketPath = socketPath
        self.maxMessageSize = maxMessageSize
    }

    /// `unix:///run/containerd/containerd.sock` or a bare path → the path.
    public static func socketPath(fromEndpoint endpoint: String) -> String? {
        if endpoint.hasPrefix("unix://") { return String(endpoint.dropFirst("unix://".count)) }
        if endpoint.hasPrefix("/") { return endpoint }
        return nil
    }

    private func multiplexer() async throws -> (any Channel, Multiplexer) {
        if let connection, connection.channel.isActive { return connection }
        connection = nil
        if let connecting { return try await connecting.value }
        let path = socketPath
        let lastError = lastConnectionError
        let task = Task { () throws -> (any Channel, Multiplexer) in
            try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .connect(unixDomainSocketPath: path) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        var configuration = NIOHTTP2Handler.Configuration()
                        configuration.connection.initialSettings = [
                            HTTP2Setting(parameter: .enablePush, value: 0),
                            HTTP2Setting(parameter: .initialWindowSize, value: 4 << 20),
                            HTTP2Setting(parameter: .maxHeaderListSize, value: 1 << 20),
                        ]
                        configuration.connection.targetWindowSize = 16 << 20
                        configuration.stream.targetWindowSize = 4 << 20
                        // The server's PINGs are answered, never counted against it (see the type's comment).
                        configuration.connection.controlFrameRateLimit.maximumCount = Int.max / 2
                        let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                            mode: .client, configuration: configuration) { $0.eventLoop.makeSucceededVoidFuture() }
                        try channel.pipeline.syncOperations.addHandler(ConnectionErrorRecorder(record: lastError))
                        return (channel, multiplexer)
                    }
                }
        }
        connecting = task
        defer { connecting = nil }
        do {
            let made = try await task.value
            connection = made
            return made
        } catch {
            throw GRPCStatus(code: .unavailable, message: "connection error: desc = \"transport: Error while dialing: dial unix \(path): \(error)\"")
        }
    }

    private func openStream() async throws -> (Stream, any Channel) {
        let (channel, multiplexer) = try await multiplexer()
        do {
            return (try await openStream(on: multiplexer), channel)
        } catch {
            // A connection the server just closed (GOAWAY, runtime restart) refuses new streams: one retry on a new one.
            drop(channel)
            let (next, nextMultiplexer) = try await self.multiplexer()
            return (try await openStream(on: nextMultiplexer), next)
        }
    }

    private func openStream(on multiplexer: Multiplexer) async throws -> Stream {
        try await multiplexer.openStream { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .http))
                return try Stream(wrappingChannelSynchronously: channel)
            }
        }
    }

    /// One unary call: `method` is `/package.Service/Method`. Fails with a `GRPCStatus` for a non-OK status, a
    /// deadline passed (`deadlineExceeded`), or a transport failure (`unavailable`).
    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: String, _ request: Request, timeout: Duration = .seconds(120), as: Response.Type = Response.self
    ) async throws -> Response {
        let payload = request.serializedBytes()
        do {
            return try await attempt(method, payload, timeout: timeout, as: Response.self)
        } catch let failure as NotSent {
            // The request never left this client (the connection was going away as the stream opened): gRPC's
            // transparent retry, on a new connection, is safe whatever the method (`attempt` dropped the old one).
            do {
                return try await attempt(method, payload, timeout: timeout, as: Response.self)
            } catch let again as NotSent {
                throw GRPCStatus(code: .unavailable, message: "\(method): \(again.error) (first attempt: \(failure.error))")
            }
        }
    }

    /// Calls under way on each connection, by channel.
    private var openStreams: [ObjectIdentifier: Int] = [:]
    /// Connections no new call uses, closed when their last call ends.
    private var draining: [ObjectIdentifier: any Channel] = [:]

    /// No new call goes on this connection; it closes once its calls under way have ended. Left open, each retry
    /// would keep a socket (and the runtime's end of it) alive for nothing; closed at once, it would fail calls
    /// other tasks have on it. Only the connection that failed is dropped, never a newer one another call made.
    private func drop(_ channel: any Channel) {
        if connection?.channel === channel { connection = nil }
        let id = ObjectIdentifier(channel)
        if openStreams[id, default: 0] == 0 {
            channel.close(promise: nil)
        } else {
            draining[id] = channel
        }
    }

    private func began(on channel: any Channel) {
        openStreams[ObjectIdentifier(channel), default: 0] += 1
    }

    private func ended(on channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let left = openStreams[id, default: 1] - 1
        openStreams[id] = left > 0 ? left : nil
        if left <= 0, let closing = draining.removeValue(forKey: id) { closing.close(promise: nil) }
    }

    /// A call whose request was not written: safe to try again.
    struct NotSent: Error {
        let error: any Error
    }

    private func attempt<Response: ProtoMessage>(_ method: String, _ payload: [UInt8], timeout: Duration,
                                                 as: Response.Type) async throws -> Response {
        let (stream, channel) = try await openStream()
        began(on: channel)
        defer { ended(on: channel) }
        let seconds = max(1, Int64(timeout.components.seconds))
        var headers = HTTPHeaders([
            ("host", "localhost"), ("content-type", "application/grpc"), ("te", "trailers"),
            ("grpc-timeout", "\(seconds)S"), ("user-agent", "kubestrap-kubelet grpc"),
        ])
        headers.add(name: "content-length", value: String(payload.count + 5))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: method, headers: headers)
        let timedOut = NIOLockedValueBox(false)
        let timer = stream.channel.eventLoop.scheduleTask(in: .seconds(seconds)) {
            timedOut.withLockedValue { $0 = true }
            stream.channel.close(promise: nil)
        }
        defer { timer.cancel() }
        let limit = maxMessageSize
        do {
            return try await stream.executeThenClose { inbound, outbound in
                var frame = ByteBuffer()
                frame.reserveCapacity(payload.count + 5)
                frame.writeInteger(UInt8(0))
                frame.writeInteger(UInt32(truncatingIfNeeded: payload.count))
                frame.writeBytes(payload)
                // The whole request in one write, END_STREAM with it. containerd (grpc-go) answers a unary call once
                // its message is in and resets the stream (RST_STREAM NO_ERROR) when the client has not half-closed
                // by then: written part by part, a task slow to resume between the parts (the whole suite keeps the
                // cooperative pool busy) found the stream closed at `.end`, the call answered, and took it for unsent.
                // One write either hands over every part or fails before any left, so a failure here is still NotSent.
                let request: [HTTPClientRequestPart] = [.head(head), .body(.byteBuffer(frame)), .end(nil)]
                do {
                    try await outbound.write(contentsOf: request)
                } catch {
                    throw NotSent(error: error)
                }
                var httpStatus = 0
                var body = ByteBuffer()
                var status: GRPCStatus?
                for try await part in inbound {
                    switch part {
                    case .head(let h):
                        httpStatus = Int(h.status.code)
                        status = GRPCStatus(headers: h.headers)
                    case .body(var buffer):
                        guard body.readableBytes + buffer.readableBytes <= limit + 5 else {
                            throw GRPCStatus(code: .resourceExhausted,
                                             message: "grpc: received message larger than max (\(body.readableBytes + buffer.readableBytes) vs. \(limit))")
                        }
                        body.writeBuffer(&buffer)
                    case .end(let trailers):
                        if let trailers, let s = GRPCStatus(headers: trailers) { status = s }
                        guard httpStatus == 200 else {
                            throw GRPCStatus(code: .unknown, message: "unexpected HTTP status \(httpStatus) from the runtime")
                        }
                        let final = status ?? GRPCStatus(code: .unknown, message: "the runtime ended the call without a grpc-status")
                        guard final.code == .ok else { throw final }
                        return try Self.decode(body, as: Response.self)
                    }
                }
                throw GRPCStatus(code: .unavailable, message: "the runtime closed the stream of \(method) before its end")
            }
        } catch let error as GRPCStatus {
            throw error
        } catch let error as NotSent {
            if timedOut.withLockedValue({ $0 }) { throw GRPCStatus(code: .deadlineExceeded, message: "context deadline exceeded") }
            drop(channel)
            throw error
        } catch {
            if timedOut.withLockedValue({ $0 }) {
                throw GRPCStatus(code: .deadlineExceeded, message: "context deadline exceeded")
            }
            let cause = lastConnectionError.withLockedValue { $0 }.map { " (connection: \($0))" } ?? ""
            throw GRPCStatus(code: .unavailable, message: "\(method): \(error)\(cause)")
        }
    }

    static func decode<Response: ProtoMessage>(_ body: ByteBuffer, as: Response.Type) throws -> Response {
        var body = body
        guard let compressed = body.readInteger(as: UInt8.self), let length = body.readInteger(as: UInt32.self) else {
            // An empty body is an empty message only when the server sent nothing at all.
            if body.readableBytes == 0 { return Response() }
            throw GRPCStatus(code: .internal, message: "a response frame shorter than its 5-byte prefix")
        }
        guard compressed == 0 else { throw GRPCStatus(code: .internal, message: "a compressed response, which this client did not ask for") }
        guard let bytes = body.readBytes(length: Int(length)) else {
            throw GRPCStatus(code: .internal, message: "a response frame of \(length) bytes with only \(body.readableBytes) received")
        }
        do { return try Response(serializedBytes: bytes) } catch {
            throw GRPCStatus(code: .internal, message: "decoding \(Response.protoMessageName): \(error)")
        }
    }

    /// Closes the connection; calls under way fail.
    public func close() async {
        if let connection { try? await connection.channel.close() }
        connection = nil
    }
}

/// Keeps the last error or GOAWAY the connection saw, so a failed call can say why its connection went away.
final class ConnectionErrorRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTP2Frame
    let record: NIOLockedValueBox<String?>

    init(record: NIOLockedValueBox<String?>) { self.record = record }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if case .goAway(let lastStreamID, let code, let opaque) = frame.payload {
            let detail = opaque.map { String(buffer: $0) } ?? ""
            record.withLockedValue { $0 = "GOAWAY \(code) after stream \(lastStreamID) \(detail)" }
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        record.withLockedValue { $0 = "\(error)" }
        context.fireErrorCaught(error)
    }
}
