import Foundation
import KubeJSON
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PKI
import Synchronization

/// A tiny aggregated API server for the tests: HTTPS on an ephemeral port with its own serving certificate,
/// demanding a client certificate of the front-proxy CA, serving wardle.example.com/v1alpha1 with one kind
/// (Flunder), and remembering what each request carried.
final class SampleAPIServer: Sendable {
    struct Seen: Sendable {
        var path: String
        var clientCommonName: String?
        var headers: [(String, String)]
        func values(_ name: String) -> [String] { headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1) }
    }

    let port: Int
    private let channel: any Channel
    private let box: SeenBox

    static let resourceList: JSONValue = [
        "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "wardle.example.com/v1alpha1",
        "resources": [
            ["name": "flunders", "singularName": "flunder", "namespaced": true, "kind": "Flunder", "shortNames": ["fl"],
             "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]],
            ["name": "flunders/status", "singularName": "", "namespaced": true, "kind": "Flunder", "verbs": ["get", "patch", "update"]],
        ],
    ]

    static func start(certificateFile: String, keyFile: String, clientCAFile: String) async throws -> SampleAPIServer {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)))
        tls.trustRoots = .file(clientCAFile)
        tls.certificateVerification = .noHostnameVerification
        tls.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: tls)
        let box = SeenBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(SampleHandler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return SampleAPIServer(port: channel.localAddress?.port ?? 0, channel: channel, box: box)
    }

    private init(port: Int, channel: any Channel, box: SeenBox) {
        self.port = port
        self.channel = channel
        self.box = box
    }

    var requests: [Seen] { box.seen.withLock { $0 } }

    func stop() async { try? await channel.close() }
}

final class SeenBox: Sendable {
    let seen = Mutex<[SampleAPIServer.Seen]>([])
}

private final class SampleHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let box: SeenBox
    var head: HTTPRequestHead?

    init(box: SeenBox) { self.box = box }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            var commonName: String?
            if let cert = try? context.pipeline.syncOperations.nioSSL_peerCertificate(), let der = try? cert.toDERBytes() {
                commonName = (try? PKICertificate(der: der))?.commonName
            }
            let path = String(head.uri.split(separator: "?").first ?? "")
            box.seen.withLock { $0.append(.init(path: path, clientCommonName: commonName, headers: head.headers.map { ($0.name, $0.value) })) }
            let (status, body) = Self.answer(path)
            let bytes = JSONWriter.write(body)
            var headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(bytes.count))])
            headers.add(name: "x-sample", value: "1")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            self.head = nil
        }
    }

    static func answer(_ path: String) -> (HTTPResponseStatus, JSONValue) {
        switch path {
        case "/apis/wardle.example.com/v1alpha1": return (.ok, SampleAPIServer.resourceList)
        case "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders":
            return (.ok, ["kind": "FlunderList", "apiVersion": "wardle.example.com/v1alpha1", "metadata": ["resourceVersion": "7"],
                          "items": [["kind": "Flunder", "apiVersion": "wardle.example.com/v1alpha1",
                                     "metadata": ["name": "my-flunder", "namespace": "default"]]]])
        default:
            return (.notFound, ["kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                                "message": "the server could not find the requested resource"])
        }
    }
}
