import NIOCore
import NIOPosix
import NIOSSL

/// A byte stream taken over from an HTTP/1.1 connection once it was upgraded (or dialled for one): what arrives is
/// read from `inbound`, what is written goes straight to the socket (through TLS when there is TLS), past any HTTP
/// handler. Exec, attach and port-forward sessions speak WebSocket or SPDY over it.
public final class RawConnection: Sendable {
    public let inbound: AsyncStream<ByteBuffer>
    let channel: any Channel
    /// Writes of a taken-over connection go from this handler's place (past the HTTP handlers behind it); a dialled
    /// connection or a descriptor has no other handler, so its writes go through the channel.
    let handler: NIOLoopBound<RawStreamHandler>?

    init(channel: any Channel, inbound: AsyncStream<ByteBuffer>, handler: NIOLoopBound<RawStreamHandler>?) {
        self.channel = channel
        self.inbound = inbound
        self.handler = handler
    }

    public var allocator: ByteBufferAllocator { channel.allocator }

    public func write(_ bytes: [UInt8]) async throws {
        try await write(channel.allocator.buffer(bytes: bytes))
    }

    public func write(_ buffer: ByteBuffer) async throws {
        guard let handler else {
            try await channel.writeAndFlush(buffer).get()
            return
        }
        try await channel.eventLoop.flatSubmit { handler.value.write(buffer) }.get()
    }

    public func close() {
        channel.close(promise: nil)
    }

    public var isActive: Bool { channel.isActive }

    /// Ends this side's writing (TCP half-close); reading goes on.
    public func closeOutput() {
        channel.close(mode: .output, promise: nil)
    }

    /// Takes over `channel` from its HTTP handlers: a handler placed right after the TLS handler (or first, without
    /// TLS) receives every byte from now on, so nothing reaches the HTTP decoder again.
    public static func hijack(_ channel: any Channel) async throws -> RawConnection {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let handler = try await channel.eventLoop.submit {
            let handler = RawStreamHandler(continuation: continuation)
            let ops = channel.pipeline.syncOperations
            if let tls = try? ops.handler(type: NIOSSLServerHandler.self) {
                try ops.addHandler(handler, position: .after(tls))
            } else {
                try ops.addHandler(handler, position: .first)
            }
            return NIOLoopBound(handler, eventLoop: channel.eventLoop)
        }.get()
        return RawConnection(channel: channel, inbound: stream, handler: handler)
    }

    /// Dials host:port, over TLS when `tls` is given (`serverHostname` for SNI; verification is the configuration's).
    public static func connect(host: String, port: Int, tls: TLSConfiguration?) async throws -> RawConnection {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(30))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let isIP = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: sslContext, serverHostname: isIP ? nil : host))
                    }
                    try channel.pipeline.syncOperations.addHandler(RawStreamHandler(continuation: continuation))
                }
            }
            .connect(host: host, port: port).get()
        return RawConnection(channel: channel, inbound: stream, handler: nil)
    }

    /// A pipe or terminal fd as a connection (NIO takes ownership and closes it): `input` to read from, `output`
    /// to write to, `inputOutput` both (a terminal's master side).
    public static func descriptor(input: CInt? = nil, output: CInt? = nil, inputOutput: CInt? = nil) async throws -> RawConnection {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let reads = output == nil || inputOutput != nil || input != nil
        let bootstrap = NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RawStreamHandler(continuation: continuation, reads: reads))
                }
            }
        let channel: any Channel
        if let inputOutput {
            channel = try await bootstrap.takingOwnershipOfDescriptor(inputOutput: inputOutput).get()
        } else if let input {
            channel = try await bootstrap.takingOwnershipOfDescriptor(input: input).get()
        } else if let output {
            channel = try await bootstrap.takingOwnershipOfDescriptor(output: output).get()
        } else {
            throw ChannelError.inappropriateOperationForState
        }
        return RawConnection(channel: channel, inbound: stream, handler: nil)
    }

    /// Copies bytes both ways until either side ends, then closes both.
    public static func splice(_ a: RawConnection, _ b: RawConnection, aPrefix: [UInt8] = [], bPrefix: [UInt8] = []) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                if !aPrefix.isEmpty { try? await b.write(aPrefix) }
                for await chunk in a.inbound { do { try await b.write(chunk) } catch { break } }
            }
            group.addTask {
                if !bPrefix.isEmpty { try? await a.write(bPrefix) }
                for await chunk in b.inbound { do { try await a.write(chunk) } catch { break } }
            }
            await group.next()
            a.close()
            b.close()
            group.cancelAll()
        }
    }
}

/// Hands every inbound buffer to an AsyncStream (ending it when the connection closes) and writes buffers as given.
final class RawStreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let continuation: AsyncStream<ByteBuffer>.Continuation
    private var context: ChannelHandlerContext?
    /// False for a write-only pipe, which has nothing to read.
    private let reads: Bool

    init(continuation: AsyncStream<ByteBuffer>.Continuation, reads: Bool = true) {
        self.continuation = continuation
        self.reads = reads
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let channel = context.channel
        // Reads are asked for from here: handlers behind this one (HTTP's pipelining handler waiting for its
        // response to end, an async channel's backpressure) would otherwise hold them back.
        if reads, channel.isActive { context.read() }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if reads { context.read() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if reads { context.read() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        continuation.finish()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish()
        context.close(promise: nil)
    }

    func write(_ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        guard let context else { return MultiThreadedEventLoopGroup.singleton.next().makeFailedFuture(ChannelError.ioOnClosedChannel) }
        return context.writeAndFlush(wrapOutboundOut(buffer))
    }
}
