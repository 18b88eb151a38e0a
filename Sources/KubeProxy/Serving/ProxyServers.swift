import Foundation
import KubeAPI
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// kube-proxy's two plain-HTTP servers, as upstream: the healthz server (`healthzBindAddress`, 0.0.0.0:10256) answers
/// `/healthz` and `/livez` with `{"lastUpdated": …,"currentTime": …, "nodeEligible": true}` (503 when a change has
/// waited more than twice the sync period), and the metrics server (`metricsBindAddress`, 127.0.0.1:10249) answers
/// `/healthz`, `/metrics` and `/proxyMode`.
public final class ProxyServer: Sendable {
    public typealias Responder = @Sendable (_ path: String) -> (status: HTTPResponseStatus, contentType: String, body: String)

    private let channel: any Channel

    public static func start(host: String, port: Int, logger: Logger, respond: @escaping Responder) async throws -> ProxyServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ProxyHTTPHandler(respond: respond))
                }
            }
            .bind(host: host, port: port).get()
        return ProxyServer(channel: channel)
    }

    private init(channel: any Channel) { self.channel = channel }

    public var port: Int? { channel.localAddress?.port }

    public func close() async { try? await channel.close() }

    /// The healthz server's answer.
    public static func healthz(_ health: ProxyHealth, now: @escaping @Sendable () -> Double) -> Responder {
        { path in
            guard path == "/healthz" || path == "/livez" else { return (.notFound, "text/plain; charset=utf-8", "404 page not found\n") }
            let current = now()
            let (healthy, lastUpdated) = health.status(at: current)
            let last = lastUpdated.map(goTime) ?? "0001-01-01 00:00:00 +0000 UTC"
            return (healthy ? .ok : .serviceUnavailable, "application/json",
                    "{\"lastUpdated\": \"\(last)\",\"currentTime\": \"\(goTime(current))\", \"nodeEligible\": true}")
        }
    }

    /// The metrics server's answer: two of upstream's kube-proxy metrics, in the Prometheus text format.
    public static func metrics(_ health: ProxyHealth) -> Responder {
        { path in
            switch path {
            case "/healthz": return (.ok, "text/plain; charset=utf-8", "ok")
            case "/proxyMode": return (.ok, "text/plain; charset=utf-8", "iptables")
            case "/metrics":
                let (last, failures) = health.counters
                var text = """
                    # HELP kubeproxy_sync_proxy_rules_iptables_restore_failures_total [ALPHA] Cumulative proxy iptables restore failures
                    # TYPE kubeproxy_sync_proxy_rules_iptables_restore_failures_total counter
                    kubeproxy_sync_proxy_rules_iptables_restore_failures_total \(failures)

                    """
                if let last {
                    text += """
                        # HELP kubeproxy_sync_proxy_rules_last_timestamp_seconds [ALPHA] The last time proxy rules were successfully synced
                        # TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge
                        kubeproxy_sync_proxy_rules_last_timestamp_seconds \(last)

                        """
                }
                return (.ok, "text/plain; version=0.0.4; charset=utf-8", text)
            default: return (.notFound, "text/plain; charset=utf-8", "404 page not found\n")
            }
        }
    }

    /// Go's time.Time String() for a UTC time: `2026-12-04 07:35:12.123456789 +0000 UTC`, the fraction without
    /// trailing zeros.
    static func goTime(_ seconds: Double) -> String {
        let rfc = RFC3339.format(seconds, fractionDigits: 9)
        var text = Substring(rfc.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: ""))
        if text.contains(".") {
            while text.last == "0" { text = text.dropLast() }
            if text.last == "." { text = text.dropLast() }
        }
        return text + " +0000 UTC"
    }
}

final class ProxyHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let respond: ProxyServer.Responder
    private var head: HTTPRequestHead?

    init(respond: @escaping ProxyServer.Responder) { self.respond = respond }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
            let (status, contentType, body) = respond(path)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "X-Content-Type-Options", value: "nosniff")
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            self.head = nil
        }
    }
}
