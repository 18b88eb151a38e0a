import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL

/// An HTTP/2 client over TLS whose receive windows and reading pace the test chooses, so a response can be made to
/// wait behind flow control the way a slow or busy client makes it wait.
struct HTTP2TestClient {
    typealias Stream = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    let channel: any Channel
    let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>

    static func connect(port: Int, tls: NIOSSLContext, streamWindow: Int = 65535) async throws -> HTTP2TestClient {
        let (channel, multiplexer) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil))
                    var configuration = NIOHTTP2Handler.Configuration()
                    configuration.connection.initialSettings = [
                        HTTP2Setting(parameter: .maxConcurrentStreams, value: 100),
                        HTTP2Setting(parameter: .initialWindowSize, value: streamWindow),
                    ]
                    configuration.stream.targetWindowSize = streamWindow
                    let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                        mode: .client, configuration: configuration) { $0.eventLoop.makeSucceededVoidFuture() }
                    return (channel, multiplexer)
                }
            }
        return HTTP2TestClient(channel: channel, multiplexer: multiplexer)
    }

    struct Response {
        var status: Int
        var body: [UInt8]
        var headers: HTTPHeaders
    }

    /// GET `path`; `pause` between the body parts it takes makes a slow reader (the stream's buffer fills, its window
    /// is not replenished, and the server's DATA waits).
    func get(_ path: String, headers extra: [(String, String)] = [], pause: Duration? = nil) async throws -> Response {
        let stream = try await multiplexer.openStream { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .https))
                return try Stream(wrappingChannelSynchronously: channel,
                                  configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2)))
            }
        }
        return try await stream.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders([("host", "127.0.0.1")])
            for (name, value) in extra { headers.add(name: name, value: value) }
            try await outbound.write(.head(HTTPRequestHead(version: .http2, method: .GET, uri: path, headers: headers)))
            try await outbound.write(.end(nil))
            var response = Response(status: 0, body: [], headers: HTTPHeaders())
            var ended = false
            for try await part in inbound {
                switch part {
                case .head(let head):
                    response.status = Int(head.status.code)
                    response.headers = head.headers
                case .body(var buffer):
                    response.body += buffer.readBytes(length: buffer.readableBytes) ?? []
                    if let pause { try await Task.sleep(for: pause) }
                case .end:
                    ended = true
                }
                if ended { break }
            }
            guard ended else { throw HarnessError("the stream ended without the end of the response (\(response.body.count) bytes)") }
            return response
        }
    }

    func close() async { try? await channel.close() }
}

/// A raw TLS connection speaking HTTP/1.1 by hand: keep-alive reuse, and heads sent as slowly as a test wants.
final class HTTP1TestConnection: @unchecked Sendable {
    let channel: any Channel
    private let received: AsyncStream<ByteBuffer>
    private var iterator: AsyncStream<ByteBuffer>.Iterator
    private var buffer: [UInt8] = []

    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let sink: AsyncStream<ByteBuffer>.Continuation
        init(_ sink: AsyncStream<ByteBuffer>.Continuation) { self.sink = sink }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { sink.yield(unwrapInboundIn(data)) }
        func channelInactive(context: ChannelHandlerContext) { sink.finish() }
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            sink.finish()
            context.close(promise: nil)
        }
    }

    /// `tls: nil` opens a plain TCP connection (to a TLS port: a handshake that never starts).
    init(port: Int, tls: NIOSSLContext?) async throws {
        let (stream, sink) = AsyncStream<ByteBuffer>.makeStream()
        received = stream
        iterator = stream.makeAsyncIterator()
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                    try channel.pipeline.syncOperations.addHandler(Collector(sink))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(string: text)).get()
    }

    var isOpen: Bool { channel.isActive }

    /// Reads one response (status line, headers, and a Content-Length or chunked body).
    func readResponse() async throws -> (status: Int, headers: [String: String], body: String) {
        func line() async throws -> String {
            while true {
                if let i = buffer.firstIndex(of: 0x0a) {
                    let text = String(decoding: buffer[..<i], as: UTF8.self).trimmingCharacters(in: ["\r"])
                    buffer.removeSubrange(...i)
                    return text
                }
                try await more()
            }
        }
        func bytes(_ n: Int) async throws -> [UInt8] {
            while buffer.count < n { try await more() }
            defer { buffer.removeFirst(n) }
            return Array(buffer.prefix(n))
        }
        let statusLine = try await line()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw HarnessError("bad status line: \(statusLine)") }
        var headers: [String: String] = [:]
        while true {
            let header = try await line()
            if header.isEmpty { break }
            if let colon = header.firstIndex(of: ":") {
                headers[header[..<colon].lowercased()] = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        var body: [UInt8] = []
        if let length = headers["content-length"].flatMap(Int.init) {
            body = try await bytes(length)
        } else if headers["transfer-encoding"] == "chunked" {
            while true {
                let size = try await line()
                guard let n = Int(size, radix: 16) else { throw HarnessError("bad chunk size: \(size)") }
                body += try await bytes(n)
                _ = try await line()
                if n == 0 { break }
            }
        }
        return (status, headers, String(decoding: body, as: UTF8.self))
    }

    private func more() async throws {
        guard let next = await iterator.next() else { throw HarnessError("the server closed the connection") }
        var next2 = next
        buffer += next2.readBytes(length: next2.readableBytes) ?? []
    }

    func close() async { try? await channel.close() }
}
