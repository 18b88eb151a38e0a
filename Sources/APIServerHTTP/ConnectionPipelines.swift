import NIOCore
import NIOHTTP1
import NIOHTTP2

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
    /// HTTP/1.1: NIO's codec with upstream's header limit, a 431/400 responder for heads it refuses, and the tracker
    /// that lets `ConnectionDeadlineHandler` bound the wait for each request head.
    static func configureHTTP1(_ channel: any Channel) -> EventLoopFuture<(HTTPChannel, Identity)> {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = ConnectionLimits.maxHeaderBytes
        limits.maxHeaderFieldSize = ConnectionLimits.maxHeaderBytes
        return channel.pipeline.configureHTTPServerPipeline(withErrorHandling: false, withDecoderLimitConfiguration: limits)
            .flatMapThrowing {
                try channel.pipeline.syncOperations.addHandler(HTTP1DecodeErrorResponder())
                try channel.pipeline.syncOperations.addHandler(HTTP1RequestTracker())
                return (try HTTPChannel(wrappingChannelSynchronously: channel), Self.peerIdentity(channel))
            }
    }

    /// HTTP/2: upstream's settings, and NIO's connection manager to close a connection idle (no open stream) for
    /// `timeouts.idle` with a graceful GOAWAY, as Go's IdleTimeout does.
    static func configureHTTP2(_ channel: any Channel, timeouts: ConnectionTimeouts)
        -> EventLoopFuture<(Identity, NIOHTTP2Handler.AsyncStreamMultiplexer<HTTPChannel>)> {
        channel.eventLoop.makeCompletedFuture {
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
            let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                mode: .server, streamDelegate: manager.http2StreamDelegate, frameDelegate: ClosingAfterGoAway(channel: channel),
                configuration: http2
            ) { stream in
                stream.eventLoop.makeCompletedFuture {
                    try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                    return try HTTPChannel(wrappingChannelSynchronously: stream)
                }
            }
            try channel.pipeline.syncOperations.addHandler(manager)
            return (Self.peerIdentity(channel), multiplexer)
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
