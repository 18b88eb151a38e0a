import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL

/// The protocol a load-generating client speaks: HTTP/1.1 keep-alive (curl, Python clients) or HTTP/2 (kubectl and
/// client-go), one connection per client, one request at a time.
enum BenchProtocol: String, CaseIterable, Sendable {
    case http1 = "http/1.1"
    case http2 = "h2"
}

/// One client's connection; used by one task at a time.
protocol BenchConnection {
    func request(_ method: HTTPMethod, _ uri: String, body: [UInt8]?) async throws -> (Int, [UInt8])
    func close() async
}

extension BenchProtocol {
    func connect(port: Int, tls: NIOSSLContext) async throws -> any BenchConnection {
        switch self {
        case .http1: return try await HTTP1BenchConnection(port: port, tls: tls)
        case .http2: return try await HTTP2BenchConnection.connect(port: port, tls: tls)
        }
    }
}

final class HTTP1BenchConnection: BenchConnection {
    private let channel: BenchClient.Channel
    private var iterator: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    init(port: Int, tls: NIOSSLContext) async throws {
        channel = try await BenchClient.connect(port: port, tls: tls)
        iterator = channel.inbound.makeAsyncIterator()
        outbound = channel.outbound
    }

    func request(_ method: HTTPMethod, _ uri: String, body: [UInt8]?) async throws -> (Int, [UInt8]) {
        try await BenchClient.request(method, uri, body: body, iterator: &iterator, outbound: outbound)
    }

    func close() async {
        // An NIOAsyncChannel used outside executeThenClose must have its writer finished before it goes away.
        outbound.finish()
        try? await channel.channel.close()
    }
}

/// Settings as Go's HTTP/2 transport (kubectl) sends them: a 4 MiB stream window, a 1 GiB connection window, and the
/// protocol's default 16 KiB frames.
struct HTTP2BenchConnection: BenchConnection {
    typealias Stream = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
    let channel: any Channel
    let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>

    static func connect(port: Int, tls: NIOSSLContext) async throws -> HTTP2BenchConnection {
        let (channel, multiplexer) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil))
                    var configuration = NIOHTTP2Handler.Configuration()
                    configuration.connection.initialSettings = [
                        HTTP2Setting(parameter: .enablePush, value: 0),
                        HTTP2Setting(parameter: .initialWindowSize, value: 4 << 20),
                        HTTP2Setting(parameter: .maxHeaderListSize, value: 10 << 20),
                    ]
                    configuration.connection.targetWindowSize = 1 << 30
                    configuration.stream.targetWindowSize = 4 << 20
                    let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                        mode: .client, configuration: configuration) { $0.eventLoop.makeSucceededVoidFuture() }
                    return (channel, multiplexer)
                }
            }
        return HTTP2BenchConnection(channel: channel, multiplexer: multiplexer)
    }

    func request(_ method: HTTPMethod, _ uri: String, body: [UInt8]?) async throws -> (Int, [UInt8]) {
        let stream = try await multiplexer.openStream { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .https))
                return try Stream(wrappingChannelSynchronously: channel)
            }
        }
        return try await stream.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            return try await BenchClient.request(method, uri, body: body, iterator: &iterator, outbound: outbound)
        }
    }

    func close() async { try? await channel.close() }
}
