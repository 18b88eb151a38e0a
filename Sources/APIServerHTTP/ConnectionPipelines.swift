import NIOCore
import NIOHTTP1
import NIOHTTP2
import Synchronization

/// What one connection may hold, as upstream's kube-apiserver configures Go's servers: 1 MiB of request head
/// (MaxHeaderBytes; Go adds 4 KiB of slack for HTTP/1.1 and 10 × 32 bytes of per-field overhead for HTTP/2),
/// 250 concurrent HTTP/2 streams (Go's default, which --http2-max-streams-per-connection=0 keeps), and 256 KiB
/// per-stream upload windows and frames (kube-apiserver's resourceBody99Percentile).
enum ConnectionLimits {
    static let maxHeaderBytes = (1 << 20) + 4096
    static let http2MaxHeaderListSize = (1 << 20) + 320
    /// A head of http2MaxHeaderListSize in 16 KiB frames (the smallest maximum a client may use), and a few more;
    /// NIO's default (5) refused any head above about 96 KiB, and a bound is still needed against floods of empty
    /// CONTINUATION frames, which the header list size does not catch.
    static let http2MaxContinuationFrames = http2MaxHeaderListSize / 16384 + 8
    static let http2ConnectionWindow = 1 << 20
    static let maxConcurrentStreams = 250
    static let http2StreamWindow = 256 * 1024
    static let http2MaxFrameSize = 256 * 1024
}

extension SecureServer {
    /// HTTP/1.1: NIO's codec with upstream's header limit and the tracker that answers heads it refuses (431/400)
    /// and lets `ConnectionDeadlineHandler` bound the wait for each request head.
    static func configureHTTP1(_ channel: any Channel) -> EventLoopFuture<(HTTPChannel, Identity)> {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = ConnectionLimits.maxHeaderBytes
        limits.maxHeaderFieldSize = ConnectionLimits.maxHeaderBytes
        return channel.pipeline.configureHTTPServerPipeline(withErrorHandling: false, withDecoderLimitConfiguration: limits)
            .flatMapThrowing {
                try channel.pipeline.syncOperations.addHandler(HTTP1RequestTracker())
                return (try HTTPChannel(wrappingChannelSynchronously: channel), Self.peerIdentity(channel))
            }
    }

    /// HTTP/2: upstream's settings, NIO's connection manager to close a connection idle (no open stream) for
    /// `timeouts.idle` with a graceful GOAWAY (as Go's IdleTimeout does), and a plain handler per stream: an async
    /// channel and a task group entry per stream made an HTTP/2 request cost about twice the CPU of one on HTTP/1.1.
    func configureHTTP2(_ channel: any Channel) -> EventLoopFuture<NIOHTTP2Handler.AsyncStreamMultiplexer<Void>> {
        let timeouts = configuration.timeouts
        return channel.eventLoop.makeCompletedFuture {
            var http2 = NIOHTTP2Handler.Configuration()
            http2.connection.initialSettings = [
                HTTP2Setting(parameter: .maxConcurrentStreams, value: ConnectionLimits.maxConcurrentStreams),
                HTTP2Setting(parameter: .maxHeaderListSize, value: ConnectionLimits.http2MaxHeaderListSize),
                HTTP2Setting(parameter: .initialWindowSize, value: ConnectionLimits.http2StreamWindow),
                HTTP2Setting(parameter: .maxFrameSize, value: ConnectionLimits.http2MaxFrameSize),
            ]
            http2.connection.maximumSequentialContinuationFrames = ConnectionLimits.http2MaxContinuationFrames
            http2.connection.targetWindowSize = ConnectionLimits.http2ConnectionWindow
            http2.stream.targetWindowSize = ConnectionLimits.http2StreamWindow
            let manager = NIOHTTP2ServerConnectionManagementHandler(
                eventLoop: channel.eventLoop,
                configuration: .init(maxIdleTime: timeouts.idle, maxAge: nil, maxGraceTime: timeouts.idle, keepalive: nil))
            let identity = ConnectionIdentity(raw: Self.peerIdentity(channel))
            let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                mode: .server, streamDelegate: manager.http2StreamDelegate, frameDelegate: ClosingAfterGoAway(channel: channel),
                configuration: http2
            ) { stream in
                stream.eventLoop.makeCompletedFuture {
                    try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                    try stream.pipeline.syncOperations.addHandler(HTTP2RequestHandler(server: self, identity: identity))
                }
            }
            try channel.pipeline.syncOperations.addHandler(manager)
            return multiplexer
        }
    }
}

/// The identity of an HTTP/2 connection, verified against the client CA once, by the first request that needs it,
/// off the event loop, and shared by the connection's streams.
final class ConnectionIdentity: Sendable {
    private let raw: SecureServer.Identity
    private let verified = Mutex<SecureServer.Identity?>(nil)

    init(raw: SecureServer.Identity) { self.raw = raw }

    func resolve(_ server: SecureServer) -> SecureServer.Identity {
        if let known = verified.withLock({ $0 }) { return known }
        let identity = server.authenticate(raw)
        verified.withLock { $0 = identity }
        return identity
    }
}

/// Collects one request of an HTTP/2 stream (its body up to --max-request-body-bytes) and hands it to the server.
final class HTTP2RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private let server: SecureServer
    private let identity: ConnectionIdentity
    private var request: (head: HTTPRequestHead, body: RequestBody)?

    init(server: SecureServer, identity: ConnectionIdentity) {
        self.server = server
        self.identity = identity
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = (head, RequestBody(head: head, limit: server.maxRequestBodyBytes))
        case .body(let buffer):
            request?.body.append(buffer)
        case .end:
            guard let (head, body) = request else {
                context.close(promise: nil)
                return
            }
            request = nil
            let (server, identity, channel) = (self.server, self.identity, context.channel)
            server.requestStarted()
            Task { await server.serveStream(channel, head: head, body: body, identity: identity) }
        }
    }
}

/// NIOHTTP2 answers a connection error (a head beyond the header list size, a flood of CONTINUATION frames, a protocol
/// violation) with a GOAWAY but leaves the connection open, so the client waited for the idle timeout. A GOAWAY with
/// an error code ends the connection here, as Go's server does; a graceful one (NO_ERROR, from the idle manager)
/// lets the open streams finish.
struct ClosingAfterGoAway: NIOHTTP2FrameDelegate {
    let channel: any Channel

    func wroteFrame(_ frame: HTTP2Frame) {
        guard case .goAway(_, let code, _) = frame.payload, code != .noError else { return }
        let channel = self.channel
        // After the GOAWAY has been flushed (the handler flushes right after writing it).
        channel.eventLoop.execute { channel.close(promise: nil) }
    }
}
