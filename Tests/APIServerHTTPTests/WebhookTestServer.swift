import Foundation
import KubeJSON
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PKI

/// A small admission webhook over HTTPS on an ephemeral port, with a CA of its own (the caBundle a configuration
/// gives): it answers each AdmissionReview with what `respond` makes of it and keeps the reviews it received.
final class WebhookTestServer: Sendable {
    let port: Int
    let caPEM: String
    let received: LockedReviews
    private let channel: any Channel

    final class LockedReviews: @unchecked Sendable {
        private let lock = NSLock()
        private var reviews: [(path: String, review: JSONValue)] = []
        func append(_ path: String, _ review: JSONValue) { lock.lock(); reviews.append((path, review)); lock.unlock() }
        var all: [(path: String, review: JSONValue)] { lock.lock(); defer { lock.unlock() }; return reviews }
    }

    /// `respond(path, review)` returns the HTTP status and body to send.
    /// Paths starting with `/slow` are answered after `slowDelay`.
    static func start(slowDelay: TimeAmount = .seconds(3),
                      respond: @escaping @Sendable (String, JSONValue) -> (Int, [UInt8])) async throws -> WebhookTestServer {
        let caKey = try PrivateKey.generate(.ecdsaP256)
        let ca = try CertificateIssuer.selfSignedCA(commonName: "webhook-ca", key: caKey, validity: 86400)
        let key = try PrivateKey.generate(.ecdsaP256)
        let cert = try CertificateIssuer.issue(CertificateRequest(commonName: "webhook",
                                                                  altNames: AltNames(dnsNames: ["webhook.default.svc"],
                                                                                     ipAddresses: [IPAddress("127.0.0.1")].compactMap { $0 }),
                                                                  usages: [.serverAuth]),
                                               for: key, by: CertificateAuthority(certificate: ca, key: caKey), validity: 86400)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(try cert.pem().utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(try key.pem().utf8), format: .pem)))
        tls.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: tls)
        let received = LockedReviews()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ReviewHandler(received: received, slowDelay: slowDelay, respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw WebhookTestError("the webhook server did not bind") }
        return WebhookTestServer(port: port, caPEM: try ca.pem(), received: received, channel: channel)
    }

    private init(port: Int, caPEM: String, received: LockedReviews, channel: any Channel) {
        self.port = port
        self.caPEM = caPEM
        self.received = received
        self.channel = channel
    }

    var caBundle: String { Base64.encode(Array(caPEM.utf8)) }

    func stop() async { try? await channel.close() }

    /// An allowing answer to `review`, echoing its uid, with an optional JSON patch and warnings.
    static func answer(_ review: JSONValue, allowed: Bool = true, status: JSONValue? = nil, patch: JSONValue? = nil,
                       warnings: [String] = []) -> (Int, [UInt8]) {
        var response: JSONValue = ["uid": review[path: ["request", "uid"]] ?? "", "allowed": .bool(allowed)]
        if let status { response["status"] = status }
        if let patch {
            response["patchType"] = "JSONPatch"
            response["patch"] = .string(Base64.encode(JSONWriter.write(patch)))
        }
        if !warnings.isEmpty { response["warnings"] = .array(warnings.map { .string($0) }) }
        return (200, JSONWriter.write(["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response]))
    }

    final class ReviewHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let received: LockedReviews
        let slowDelay: TimeAmount
        let respond: @Sendable (String, JSONValue) -> (Int, [UInt8])
        var path = ""
        var body: [UInt8] = []

        init(received: LockedReviews, slowDelay: TimeAmount, respond: @escaping @Sendable (String, JSONValue) -> (Int, [UInt8])) {
            self.received = received
            self.slowDelay = slowDelay
            self.respond = respond
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                path = head.uri
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                let review = (try? JSONParser.parse(body)) ?? .null
                received.append(path, review)
                let (status, answer) = respond(path, review)
                if path.hasPrefix("/slow") {
                    context.eventLoop.scheduleTask(in: slowDelay) { self.reply(context, status, answer) }
                } else {
                    reply(context, status, answer)
                }
            }
        }

        func reply(_ context: ChannelHandlerContext, _ status: Int, _ answer: [UInt8]) {
            var headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(answer.count))])
            headers.add(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers))),
                          promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: answer)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }
}

struct WebhookTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
