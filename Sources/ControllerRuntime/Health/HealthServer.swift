import FoundationEssentials
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PKI

/// The secure serving port of kube-controller-manager (10257) and kube-scheduler (10259): `/healthz`, `/livez` and
/// `/readyz` answer without credentials (upstream's `--authorization-always-allow-paths` default), anything else is
/// refused. Without `--tls-cert-file` the certificate is self-signed in memory for `localhost` and the bind
/// address, as upstream does ("Generated self-signed cert (in-memory)").
public final class HealthServer: Sendable {
    public typealias Check = @Sendable () -> (name: String, ok: Bool)

    private let channel: any Channel

    public static func start(host: String, port: Int, certificatePEM: String? = nil, keyPEM: String? = nil,
                             checks: [Check], logger: Logger) async throws -> HealthServer {
        let (cert, key): (String, String)
        if let certificatePEM, let keyPEM {
            (cert, key) = (certificatePEM, keyPEM)
        } else {
            (cert, key) = try selfSigned(host: host)
            logger.info("Generated self-signed cert (in-memory)")
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(cert.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem)))
        tls.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HealthHandler(checks: checks))
                }
            }
            .bind(host: host, port: port).get()
        logger.info("Serving securely on \(host):\(channel.localAddress?.port ?? port)")
        return HealthServer(channel: channel)
    }

    private init(channel: any Channel) { self.channel = channel }

    public var port: Int? { channel.localAddress?.port }

    public func close() async { try? await channel.close() }

    static func selfSigned(host: String) throws -> (String, String) {
        let now = Int(Date().timeIntervalSince1970)
        let caKey = try PrivateKey.generate(.ecdsaP256)
        let ca = try CertificateIssuer.selfSignedCA(commonName: "localhost-ca@\(now)", key: caKey, validity: 365 * 86400)
        let key = try PrivateKey.generate(.ecdsaP256)
        var ips = [IPAddress("127.0.0.1")].compactMap { $0 }
        if let ip = IPAddress(host), host != "0.0.0.0", host != "127.0.0.1" { ips.append(ip) }
        let leaf = try CertificateIssuer.issue(
            CertificateRequest(commonName: "localhost@\(now)", altNames: AltNames(dnsNames: ["localhost"], ipAddresses: ips),
                               usages: [.serverAuth]),
            for: key, by: CertificateAuthority(certificate: ca, key: caKey), validity: 365 * 86400)
        return (try leaf.pem() + (try ca.pem()), try key.pem())
    }
}

final class HealthHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let checks: [HealthServer.Check]
    private var head: HTTPRequestHead?

    init(checks: [HealthServer.Check]) { self.checks = checks }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            let (status, body) = answer(head)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            headers.add(name: "X-Content-Type-Options", value: "nosniff")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    private func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String) {
        let parts = head.uri.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? "/"
        let verbose = parts.count > 1 && parts[1].split(separator: "&").contains("verbose")
        guard ["/healthz", "/livez", "/readyz"].contains(where: { path == $0 || path.hasPrefix($0 + "/") }) else {
            return (.forbidden, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"forbidden: User \\\"system:anonymous\\\" cannot get path \\\"\(path)\\\"\",\"reason\":\"Forbidden\",\"details\":{},\"code\":403}")
        }
        let results = [(name: "ping", ok: true)] + checks.map { $0() }
        let failed = results.filter { !$0.ok }
        if verbose || !failed.isEmpty {
            var text = results.map { "[\($0.ok ? "+" : "-")]\($0.name) \($0.ok ? "ok" : "failed: reason withheld")" }.joined(separator: "\n")
            text += failed.isEmpty ? "\nhealthz check passed\n" : "\nhealthz check failed\n"
            return (failed.isEmpty ? .ok : .internalServerError, text)
        }
        return (.ok, "ok")
    }
}
