import AtomicFile
import FoundationEssentials
import Glibc
import KubeAPI
import KubeClient
import KubeJSON
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PKI

/// The kubelet API on `address:port` (10250), HTTPS: client certificates verified against
/// `authentication.x509.clientCAFile`, authorized by the apiserver (SubjectAccessReview on nodes/proxy, as
/// upstream's Webhook mode) or, with `authorization.mode: AlwaysAllow`, any verified certificate.
/// Serves `/healthz`, `/pods`, `/containerLogs/<ns>/<pod>/<container>`, and the streaming requests (StreamingRoutes).
public final class KubeletServer: Sendable {
    typealias HTTPChannel = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let kubelet: Kubelet
    let settings: KubeletSettings
    let client: (any KubernetesClient)?
    let verifier: ClientCertificateVerifier?
    let logger: Logger
    let context: NIOSSLContext

    public init(kubelet: Kubelet, settings: KubeletSettings, client: KubeletAPIClient?, logger: Logger) throws {
        self.kubelet = kubelet
        self.settings = settings
        self.client = client?.client
        self.logger = logger
        do {
            verifier = try settings.clientCAFile.map { try ClientCertificateVerifier(bundlePath: $0, source: "authentication.x509.clientCAFile") }
        } catch { throw KubeletConfigError("\(error)") }
        let (certPath, keyPath) = try Self.servingCertificate(settings: settings, logger: logger)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certPath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
        tls.applicationProtocols = ["http/1.1"]
        tls.certificateVerification = verifier == nil ? .none : .optionalVerification
        context = try NIOSSLContext(configuration: tls)
    }

    /// `tlsCertFile`/`tlsPrivateKeyFile`, or a self-signed pair under `<root-dir>/pki` as upstream generates it.
    static func servingCertificate(settings: KubeletSettings, logger: Logger) throws -> (String, String) {
        if let cert = settings.tlsCertFile, let key = settings.tlsPrivateKeyFile { return (cert, key) }
        let paths = SelfSignedServingCertificate.paths(rootDir: settings.rootDir)
        if AtomicFile.exists(paths.cert), AtomicFile.exists(paths.key) { return paths }
        var ips = ["127.0.0.1"]
        if let ip = settings.nodeIP ?? HostInfo.primaryIPv4() { ips.append(ip) }
        if !SelfSignedServingCertificate.writeInHelperProcess(rootDir: settings.rootDir, nodeName: settings.nodeName, ips: ips, logger: logger) {
            try SelfSignedServingCertificate.write(rootDir: settings.rootDir, nodeName: settings.nodeName, ips: ips)
        }
        logger.info("Generated self-signed serving certificate", metadata: ["cert": "\(paths.cert)"])
        return paths
    }

    public func run() async throws {
        let context = self.context
        let verify = verifier != nil
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: settings.address, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = verify
                        ? NIOSSLServerHandler(context: context, customVerificationCallback: { _, p in p.succeed(.certificateVerified) })
                        : NIOSSLServerHandler(context: context)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try HTTPChannel(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("Starting to listen", metadata: ["address": "\(settings.address)", "port": "\(settings.port)"])
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    struct Identity: Sendable { var user: String; var groups: [String] }

    func authenticate(_ channel: any Channel) async -> Identity? {
        let der: [UInt8]? = try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.nioSSL_peerCertificate()?.toDERBytes()
        }.get() ?? nil
        guard let der, let verifier, case .verified(let cn, let organizations) = verifier.verify(der: der) else { return nil }
        return Identity(user: cn, groups: organizations + ["system:authenticated"])
    }

    func authorize(_ identity: Identity, subresource: String, verb: String = "get") async -> Bool {
        if settings.authorizationMode == "AlwaysAllow" { return true }
        guard let client else { return false }
        let review: JSONValue = [
            "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
            "spec": ["user": .string(identity.user), "groups": .array(identity.groups.map { .string($0) }),
                     "resourceAttributes": ["verb": .string(verb), "resource": "nodes", "subresource": .string(subresource),
                                            "name": .string(settings.nodeName)]],
        ]
        do {
            let answer = try await client.create(.subjectAccessReviews, review)
            return answer[path: ["status", "allowed"]]?.bool == true
        } catch {
            logger.warning("SubjectAccessReview failed: \(error)")
            return false
        }
    }

    func serve(_ connection: HTTPChannel) async {
        // The TLS handshake is complete once a request has arrived; the peer certificate is read then, once.
        var identity: Identity?
        var authenticated = false
        do {
            try await connection.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                while let part = try await iterator.next() {
                    guard case .head(let head) = part else { continue }
                    while let next = try await iterator.next() { if case .end = next { break } }
                    if !authenticated {
                        identity = await authenticate(connection.channel)
                        authenticated = true
                    }
                    let keepGoing = try await respond(head, identity: identity, channel: connection.channel, outbound: outbound)
                    if !keepGoing || !head.isKeepAlive { return }
                }
            }
        } catch {
            logger.debug("kubelet API connection ended: \(error)")
        }
    }

    func send(_ status: HTTPResponseStatus, _ body: String, contentType: String = "text/plain; charset=utf-8",
              outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = HTTPHeaders([("content-type", contentType), ("content-length", String(body.utf8.count))])
        headers.add(name: "x-content-type-options", value: "nosniff")
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
        try await outbound.write(.end(nil))
    }

    func respond(_ head: HTTPRequestHead, identity: Identity?, channel: any Channel,
                 outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws -> Bool {
        let parts = head.uri.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? "/"
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { QueryEscaping.unescape($0) }
                query[kv[0]] = kv.count > 1 ? kv[1] : ""
            }
        }
        if path == "/healthz" {
            try await send(.ok, "ok", outbound: outbound)
            return true
        }
        guard let identity else {
            try await send(.unauthorized, "Unauthorized", outbound: outbound)
            return true
        }
        let segments = path.split(separator: "/").map(String.init)
        // Streaming requests are authorized with their method's verb, as upstream's kubelet does (POST: create).
        let streaming = segments.first.map { Self.streamingRoots.contains($0) } ?? false
        let verb = streaming && head.method == .POST ? "create" : "get"
        guard await authorize(identity, subresource: path.hasPrefix("/logs") ? "log" : "proxy", verb: verb) else {
            try await send(.forbidden, "Forbidden (user=\(identity.user), verb=\(verb), resource=nodes, subresource=proxy)", outbound: outbound)
            return true
        }
        if streaming {
            return try await serveStreaming(head, segments: segments, channel: channel, outbound: outbound)
        }
        if path == "/pods" || path == "/pods/" {
            let items = await kubelet.podList(hostIP: settings.nodeIP ?? HostInfo.primaryIPv4() ?? "127.0.0.1")
            try await send(.ok, JSONWriter.string(["kind": "PodList", "apiVersion": "v1", "metadata": .emptyObject, "items": .array(items)]),
                           contentType: "application/json", outbound: outbound)
            return true
        }
        guard segments.count == 4, segments[0] == "containerLogs" else {
            try await send(.notFound, "404 page not found\n", outbound: outbound)
            return true
        }
        var options = ContainerLogs.Options()
        let truthy: (String?) -> Bool = { ["1", "true", "True", "t"].contains($0 ?? "") }
        options.follow = truthy(query["follow"])
        options.previous = truthy(query["previous"])
        options.timestamps = truthy(query["timestamps"])
        options.tailLines = query["tailLines"].flatMap(Int.init)
        options.sinceSeconds = query["sinceSeconds"].flatMap(Int.init)
        options.limitBytes = query["limitBytes"].flatMap(Int.init)
        guard let located = await kubelet.logLocation(namespace: segments[1], pod: segments[2], container: segments[3]) else {
            try await send(.notFound, "pod \(segments[1])/\(segments[2]) has no container \"\(segments[3])\" on this node", outbound: outbound)
            return true
        }
        if options.previous, located.restartCount == 0 {
            try await send(.badRequest, "previous terminated container \"\(segments[3])\" in pod \"\(segments[2])\" not found", outbound: outbound)
            return true
        }
        let run = options.previous ? located.restartCount - 1 : located.restartCount
        let files = ContainerLogs.files(podLogDir: located.podLogDir, container: segments[3], restartCount: run)
        let text = ContainerLogs.read(files, options: options)
        guard options.follow, !options.previous, let live = files.last else {
            try await send(.ok, text, outbound: outbound)
            return true
        }
        // follow: send what is there, then poll the live file for growth until the client leaves.
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok,
                                                        headers: HTTPHeaders([("content-type", "text/plain; charset=utf-8"),
                                                                              ("transfer-encoding", "chunked")]))))
        if !text.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text)))) }
        var offset = ContainerLogs.fileSize(live)
        var carry = ""
        while channel.isActive {
            try await Task.sleep(nanoseconds: 200_000_000)
            let size = ContainerLogs.fileSize(live)
            if size < offset { offset = 0 }   // rotated
            guard size > offset, let data = ContainerLogs.readRange(live, from: offset, to: size) else { continue }
            offset = size
            var out = ""
            let chunk = carry + String(decoding: data, as: UTF8.self)
            var lines = chunk.split(separator: "\n", omittingEmptySubsequences: false)
            carry = String(lines.removeLast())
            for line in lines where !line.isEmpty {
                if let (rendered, _) = ContainerLogs.render(line, options: options, since: nil) { out += rendered }
            }
            if !out.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: out)))) }
        }
        return false
    }
}
