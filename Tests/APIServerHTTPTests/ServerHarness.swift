@testable import APIServer
@testable import APIServerHTTP
import Foundation
import KubeJSON
import KubeStorage
import Logging
import NIOCore
import NIOSSL
import PKI
import Testing

/// The kube-apiserver's HTTPS front in process: a CA, a serving certificate for 127.0.0.1 and an admin client
/// certificate in a temp dir, an APIServer on an embedded store, and the SecureServer on an ephemeral port.
final class ServerHarness: Sendable {
    let dir: String
    let api: APIServer
    let store: EmbeddedStore
    let port: Int
    let serving: Task<Void, Never>

    static let admin = UserInfo(name: "kubernetes-admin", groups: ["system:masters", "system:authenticated"])

    static func start(timeouts: ConnectionTimeouts = ConnectionTimeouts(),
                      webhooks: (any WebhookTransport)? = nil) async throws -> ServerHarness {
        let dir = NSTemporaryDirectory() + "kubestrap-http-" + UUID().uuidString
        let caKey = try PrivateKey.generate(.ecdsaP256)
        let ca = try CertificateIssuer.selfSignedCA(commonName: "kubernetes", key: caKey, validity: 86400)
        let authority = CertificateAuthority(certificate: ca, key: caKey)
        func leaf(_ name: String, _ cn: String, _ o: [String], _ usage: ExtendedUsage, ips: [String] = []) throws {
            let key = try PrivateKey.generate(.ecdsaP256)
            let cert = try CertificateIssuer.issue(CertificateRequest(commonName: cn, organizations: o,
                                                                      altNames: AltNames(ipAddresses: ips.compactMap(IPAddress.init)),
                                                                      usages: [usage]),
                                                   for: key, by: authority, validity: 86400)
            try CertificateStore.write(certificate: cert, key: key, to: CertificatePaths(directory: dir, baseName: name))
        }
        try CertificateStore.write(certificate: ca, key: caKey, to: CertificatePaths(directory: dir, baseName: "ca"))
        try leaf("apiserver", "kube-apiserver", [], .serverAuth, ips: ["127.0.0.1"])
        try leaf("admin", "kubernetes-admin", ["system:masters"], .clientAuth)

        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let store = try EmbeddedStore(options: .init(directory: dir + "/data"))
        let api = APIServer(options: APIServerOptions(), storage: store, webhooks: webhooks, logger: logger)
        try await api.start()
        let server = try SecureServer(configuration: .init(bindAddress: "127.0.0.1", port: 0, certificateFile: dir + "/apiserver.crt",
                                                           privateKeyFile: dir + "/apiserver.key",
                                                           clientCA: try ClientCertificateAuthenticator(caFile: dir + "/ca.crt"),
                                                           timeouts: timeouts),
                                      api: api, logger: logger)
        let (bound, boundSignal) = AsyncStream<Int>.makeStream()
        let serving = Task<Void, Never> { _ = try? await server.run(onBound: { boundSignal.yield($0); boundSignal.finish() }) }
        var port = 0
        for await p in bound { port = p }
        guard port > 0 else { throw HarnessError("the server did not bind") }
        return ServerHarness(dir: dir, api: api, store: store, port: port, serving: serving)
    }

    private init(dir: String, api: APIServer, store: EmbeddedStore, port: Int, serving: Task<Void, Never>) {
        self.dir = dir
        self.api = api
        self.store = store
        self.port = port
        self.serving = serving
    }

    func stop() async {
        serving.cancel()
        await api.stop()
        await store.close()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A client TLS context with the admin certificate, offering the given ALPN protocols.
    func tlsContext(alpn: [String]) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(dir + "/ca.crt")
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(dir + "/admin.crt").map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: dir + "/admin.key", format: .pem))
        tls.applicationProtocols = alpn
        return try NIOSSLContext(configuration: tls)
    }

    /// Creates objects straight through the API (no HTTP), e.g. to fill a namespace for a big list.
    func create(_ uri: String, _ object: JSONValue) async throws {
        let response = await api.handle(APIRequest(method: "POST", uri: uri, headers: [("content-type", "application/json")],
                                                   body: JSONWriter.write(object), user: Self.admin))
        guard response.status == 201 else { throw HarnessError("POST \(uri) answered \(response.status)") }
    }

    /// `count` ConfigMaps of about `bytes` each in namespace `ns`.
    func fill(_ ns: String, count: Int, bytes: Int) async throws {
        try await create("/api/v1/namespaces", ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]])
        let filler = String(repeating: "x", count: bytes)
        for i in 0..<count {
            try await create("/api/v1/namespaces/\(ns)/configmaps", [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string("cm-\(i)")], "data": ["text": .string(filler)],
            ])
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls until `condition` holds; fails the test with `what` if it does not within `timeout` seconds.
func eventually(_ what: String, timeout: Double = 60, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
    Issue.record("\(what): not within \(timeout)s")
    throw HarnessError("\(what): not within \(timeout)s")
}
