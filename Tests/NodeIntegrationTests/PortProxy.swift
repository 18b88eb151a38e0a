import NIOCore
import NIOPosix
import Synchronization

/// The apiserver's port as a client sees it across a restart: a TCP relay on `port` to the real server that can be
/// taken down (the listening socket and every relayed connection closed, as when the process dies; connections are
/// then refused) and brought back on the same port.
final class PortProxy: Sendable {
    let port: Int
    let target: Int
    private let state = Mutex<(server: (any Channel)?, connections: [any Channel])>((nil, []))

    init(port: Int, target: Int) {
        self.port = port
        self.target = target
    }

    /// Bytes read on one side written to the other; either side closing closes both.
    final class Relay: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let partner: any Channel
        init(partner: any Channel) { self.partner = partner }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }
        func channelInactive(context: ChannelHandlerContext) {
            partner.close(promise: nil)
            context.fireChannelInactive()
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    func start() async throws {
        let target = self.target
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .channelInitializer { outbound in
                        outbound.eventLoop.makeCompletedFuture {
                            try outbound.pipeline.syncOperations.addHandler(Relay(partner: inbound))
                        }
                    }
                    .connect(host: "127.0.0.1", port: target)
                    .flatMapThrowing { outbound in
                        try inbound.pipeline.syncOperations.addHandler(Relay(partner: outbound))
                        self.state.withLock { $0.connections += [inbound, outbound] }
                    }
            }
            .bind(host: "127.0.0.1", port: port).get()
        state.withLock { $0.server = server }
    }

    func stop() async {
        let (server, connections) = state.withLock { s in
            defer { s = (nil, []) }
            return s
        }
        try? await server?.close()
        for connection in connections { try? await connection.close() }
    }
}
