import NIOCore
import NIOPosix
import NIOHTTP1

/// The kubelet's plain-HTTP health endpoint (healthzBindAddress:healthzPort, 127.0.0.1:10248 by default):
/// `GET /healthz` answers `ok` once the kubelet is running.
public final class HealthzServer: Sendable {
    private let channel: any Channel

    public static func start(host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> HealthzServer {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(HealthzHandler())
                }
            }
            .bind(host: host, port: port).get()
        return HealthzServer(channel: channel)
    }

    private init(channel: any Channel) { self.channel = channel }

    public var port: Int? { channel.localAddress?.port }

    public func close() async { try? await channel.close() }
}

final class HealthzHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private var uri = "/"

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): uri = head.uri
        case .body: break
        case .end:
            let path = uri.split(separator: "?").first.map(String.init) ?? uri
            let found = path == "/healthz" || path == "/healthz/"
            let body = found ? "ok" : "404 page not found\n"
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            headers.add(name: "X-Content-Type-Options", value: "nosniff")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: found ? .ok : .notFound, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
