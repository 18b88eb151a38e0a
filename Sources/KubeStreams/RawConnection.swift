import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A byte stream taken over from an HTTP/1.1 connection once it was upgraded (or dialled for one): what arrives is
/// read from `inbound`, what is written goes straight to the socket (through TLS when there is TLS), past any HTTP
/// handler. Exec, attach and port-forward sessions speak WebSocket or SPDY over it.
public final class RawConnection: Sendable {
    public let inbound: Inbound
    let channel: any Channel
    /// Writes of a taken-over connection go from this handler's place (past the HTTP handlers behind it); a dialled
    /// connection or a descriptor has no other handler, so its writes go through the channel.
    let handler: NIOLoopBound<RawStreamHandler>?

    init(channel: any Channel, inbound: AsyncStream<ByteBuffer>, gate: ReadGate, handler: NIOLoopBound<RawStreamHandler>?) {
        self.channel = channel
        self.inbound = Inbound(stream: inbound, gate: gate)
        self.handler = handler
    }

    /// What arrives, read as it is consumed: the connection stops reading while `ReadGate.highWater` buffers wait
    /// (a client sending faster than a command reads costs those buffers, not the whole upload).
    public struct Inbound: AsyncSequence, Sendable {
        let stream: AsyncStream<ByteBuffer>
        let gate: ReadGate

        public struct AsyncIterator: AsyncIteratorProtocol {
            var base: AsyncStream<ByteBuffer>.AsyncIterator
            let gate: ReadGate

            public mutating func next() async -> ByteBuffer? {
                let buffer = await base.next()
                if buffer != nil { gate.consumed() }
                return buffer
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(base: stream.makeAsyncIterator(), gate: gate)
        }
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
        try await channel.eventLoop.submit { try hijackSynchronously(channel) }.get()
    }

    /// `hijack` on the channel's event loop (in a channel initializer, before any byte can arrive).
    public static func hijackSynchronously(_ channel: any Channel) throws -> RawConnection {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let gate = ReadGate()
        let handler = RawStreamHandler(continuation: continuation, gate: gate)
        // From now on this handler asks for every read (and stops asking while its reader lags).
        try channel.syncOptions?.setOption(.autoRead, value: false)
        let ops = channel.pipeline.syncOperations
        if let tls = try? ops.handler(type: NIOSSLServerHandler.self) {
            try ops.addHandler(handler, position: .after(tls))
        } else {
            try ops.addHandler(handler, position: .first)
        }
        return RawConnection(channel: channel, inbound: stream, gate: gate, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
    }

    /// Dials host:port, over TLS when `tls` is given (`serverHostname` for SNI; verification is the configuration's).
    public static func connect(host: String, port: Int, tls: TLSConfiguration?) async throws -> RawConnection {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let gate = ReadGate()
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(30))
            .channelOption(.autoRead, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let isIP = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: sslContext, serverHostname: isIP ? nil : host))
                    }
                    try channel.pipeline.syncOperations.addHandler(RawStreamHandler(continuation: continuation, gate: gate))
                }
            }
            .connect(host: host, port: port).get()
        return RawConnection(channel: channel, inbound: stream, gate: gate, handler: nil)
    }

    /// A pipe or terminal fd as a connection (NIO takes ownership and closes it): `input` to read from, `output`
    /// to write to, `inputOutput` both (a terminal's master side).
    public static func descriptor(input: CInt? = nil, output: CInt? = nil, inputOutput: CInt? = nil) async throws -> RawConnection {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let gate = ReadGate()
        let reads = output == nil || inputOutput != nil || input != nil
        let bootstrap = NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RawStreamHandler(continuation: continuation, gate: gate, reads: reads))
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
        return RawConnection(channel: channel, inbound: stream, gate: gate, handler: nil)
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

/// How many read buffers wait for the reader; reading pauses at `highWater` and resumes at `lowWater`.
final class ReadGate: Sendable {
    static let highWater = 64
    static let lowWater = 16

    private struct State {
        var buffered = 0
        var paused = false
        var resume: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func setResume(_ resume: @escaping @Sendable () -> Void) { state.withLock { $0.resume = resume } }

    func produced() { state.withLock { $0.buffered += 1 } }

    /// Whether to read again now; false pauses reading until the reader catches up.
    func shouldRead() -> Bool {
        state.withLock { s in
            s.paused = s.buffered >= Self.highWater
            return !s.paused
        }
    }

    func consumed() {
        let resume: (@Sendable () -> Void)? = state.withLock { s in
            s.buffered = max(0, s.buffered - 1)
            guard s.paused, s.buffered <= Self.lowWater else { return nil }
            s.paused = false
            return s.resume
        }
        resume?()
    }
}

/// Hands every inbound buffer to an AsyncStream (ending it when the connection closes), asks for reads itself (the
/// channel's autoRead is off) while the reader keeps up, and writes buffers as given.
final class RawStreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let continuation: AsyncStream<ByteBuffer>.Continuation
    private let gate: ReadGate
    private var context: ChannelHandlerContext?
    /// False for a write-only pipe, which has nothing to read.
    private let reads: Bool

    init(continuation: AsyncStream<ByteBuffer>.Continuation, gate: ReadGate, reads: Bool = true) {
        self.continuation = continuation
        self.gate = gate
        self.reads = reads
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        gate.setResume { eventLoop.execute { loopBound.value.resumeReading() } }
        if reads, context.channel.isActive { context.read() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        continuation.finish()
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if reads { context.read() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        gate.produced()
        continuation.yield(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if reads, gate.shouldRead() { context.read() }
    }

    func resumeReading() {
        context?.read()
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
