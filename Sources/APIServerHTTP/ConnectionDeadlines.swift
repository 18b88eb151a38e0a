import Logging
import NIOCore
import NIOHTTP1
import NIOTLS

/// How long a connection may take for each step before the server closes it. Upstream's kube-apiserver runs Go's
/// net/http server with ReadHeaderTimeout 32 s (which also bounds the TLS handshake) and IdleTimeout 90 s; without
/// such deadlines a client that never finishes its handshake, or sends its headers a byte at a time, holds a
/// connection and its memory forever.
public struct ConnectionTimeouts: Sendable {
    /// From accept to the end of the TLS handshake.
    public var handshake: TimeAmount
    /// From the handshake (or the first byte of a later request) to the end of an HTTP/1.1 request head.
    public var requestHead: TimeAmount
    /// A keep-alive connection (HTTP/1.1), or an HTTP/2 connection without open streams, that says nothing.
    public var idle: TimeAmount

    public init(handshake: TimeAmount = .seconds(32), requestHead: TimeAmount = .seconds(32), idle: TimeAmount = .seconds(90)) {
        self.handshake = handshake
        self.requestHead = requestHead
        self.idle = idle
    }
}

/// Sits right after the TLS handler and closes the connection when the handshake, or an HTTP/1.1 request head,
/// takes longer than allowed, or when a keep-alive connection stays idle. `HTTP1RequestTracker` tells it where an
/// HTTP/1.1 connection is; on HTTP/2 it steps aside once the handshake is done (NIOHTTP2's connection manager closes
/// idle HTTP/2 connections).
final class ConnectionDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase { case handshake, awaitingHead, inRequest, idle }

    private let timeouts: ConnectionTimeouts
    private let logger: Logger
    private var phase = Phase.handshake
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(timeouts: ConnectionTimeouts, logger: Logger) {
        self.timeouts = timeouts
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        arm(timeouts.handshake, "the TLS handshake did not finish")
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = tls, phase == .handshake {
            if negotiated == "h2" {
                timer?.cancel()
                timer = nil
                context.fireUserInboundEventTriggered(event)
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
                return
            }
            phase = .awaitingHead
            arm(timeouts.requestHead, "no request head arrived")
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .idle {
            phase = .awaitingHead
            arm(timeouts.requestHead, "the request head did not arrive")
        }
        context.fireChannelRead(data)
    }

    /// A request head was decoded: its body and the response are not bounded here.
    func requestStarted() {
        phase = .inRequest
        timer?.cancel()
        timer = nil
    }

    /// The response ended; the connection waits for another request.
    func responseFinished() {
        guard phase == .inRequest else { return }
        phase = .idle
        arm(timeouts.idle, "the keep-alive connection was idle")
    }

    private func arm(_ delay: TimeAmount, _ reason: String) {
        timer?.cancel()
        guard let context else { return }
        let logger = logger
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            guard let self, let context = self.context else { return }
            logger.debug("closing connection from \(context.remoteAddress?.description ?? "?"): \(reason) within \(delay.nanoseconds / 1_000_000_000)s")
            context.close(promise: nil)
        }
    }
}

/// Between the HTTP/1.1 codec and the request loop. It tells `ConnectionDeadlineHandler` when a request head arrived
/// and when its response ended, and answers a request the decoder refused as Go's server does: 431 for a head beyond
/// the header limit, 400 otherwise, then closes the connection (NIO's own responder answers 400 to both).
final class HTTP1RequestTracker: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var deadlines: ConnectionDeadlineHandler?
    private var responding = false
    private var answered = false

    func handlerAdded(context: ChannelHandlerContext) {
        deadlines = try? context.pipeline.syncOperations.handler(type: ConnectionDeadlineHandler.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) { deadlines = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            responding = true
            deadlines?.requestStarted()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            responding = false
            deadlines?.responseFinished()
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        // A response already under way cannot be replaced; the connection just ends.
        if !responding, !answered {
            answered = true
            let tooLarge = parseError == .headerOverflow
            let text = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request"
            var headers = HTTPHeaders([("content-type", "text/plain; charset=utf-8"), ("connection", "close")])
            headers.add(name: "content-length", value: String(text.utf8.count))
            let head = HTTPResponseHead(version: .http1_1, status: tooLarge ? .requestHeaderFieldsTooLarge : .badRequest, headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }
}
