@testable import APIServer
import APIServerHTTP
import Foundation
import KubeAPI
import KubeClient
import KubeControllerManager
import KubeJSON
import KubeScheduler
import KubeStorage
import Logging
import PKI
import Testing

/// The control plane in one process, as its programs run it: the kube-apiserver over TLS on an ephemeral loopback
/// port (its own CA, a serving certificate for 127.0.0.1, an embedded store in a temp dir), and on demand
/// kube-controller-manager's controllers and kube-scheduler, each an API client of it through `RESTClient` over
/// HTTP/2 with an admin client certificate (what `bootstrap test-env` wires with kubeconfigs).
final class InProcessCluster: Sendable {
    let dir: String
    let api: APIServer
    let store: EmbeddedStore
    let port: Int
    let caPEM: String
    /// system:masters, over the real client.
    let admin: RESTClient
    private let server: SecureServer
    private let serving: Task<Void, Never>
    private let authority: CertificateAuthority
    private let logger: Logger

    var pki: String { dir + "/pki" }

    /// `kubelets` makes the apiserver's kubelet client from the PKI directory (`apiserver-kubelet-client.crt/.key`).
    static func start(kubelets: (String) throws -> (any KubeletConnector)? = { _ in nil }) async throws -> InProcessCluster {
        let dir = NSTemporaryDirectory() + "kubestrap-cluster-" + UUID().uuidString
        let pki = dir + "/pki"
        let caKey = try PrivateKey.generate(.ecdsaP256)
        let ca = try CertificateIssuer.selfSignedCA(commonName: "kubernetes", key: caKey, validity: 86400)
        let authority = CertificateAuthority(certificate: ca, key: caKey)
        try CertificateStore.write(certificate: ca, key: caKey, to: CertificatePaths(directory: pki, baseName: "ca"))
        let (serving, servingKey) = try issue(authority, "kube-apiserver", [], .serverAuth, ips: ["127.0.0.1"])
        try CertificateStore.write(certificate: serving, key: servingKey, to: CertificatePaths(directory: pki, baseName: "apiserver"))
        let (kubeletClient, kubeletClientKey) = try issue(authority, "kube-apiserver-kubelet-client", ["system:masters"], .clientAuth)
        try CertificateStore.write(certificate: kubeletClient, key: kubeletClientKey,
                                   to: CertificatePaths(directory: pki, baseName: "apiserver-kubelet-client"))

        var logger = Logger(label: "cluster")
        logger.logLevel = .warning
        let store = try EmbeddedStore(options: .init(directory: dir + "/data"))
        let api = APIServer(options: APIServerOptions(), storage: store, kubelets: try kubelets(pki), logger: logger)
        try await api.start()
        let server = try SecureServer(configuration: .init(bindAddress: "127.0.0.1", port: 0, certificateFile: pki + "/apiserver.crt",
                                                           privateKeyFile: pki + "/apiserver.key",
                                                           clientCA: try ClientCertificateAuthenticator(caFile: pki + "/ca.crt")),
                                      api: api, logger: logger)
        let (bound, boundSignal) = AsyncStream<Int>.makeStream()
        let servingTask = Task<Void, Never> { _ = try? await server.run(onBound: { boundSignal.yield($0); boundSignal.finish() }) }
        var port = 0
        for await p in bound { port = p }
        guard port > 0 else { throw ClusterError("the apiserver did not bind") }

        let caPEM = try ca.pem()
        let (adminCert, adminKey) = try issue(authority, "kubernetes-super-admin", ["system:masters"], .clientAuth)
        let admin = try RESTClient(config: ClientConfig(host: "127.0.0.1", port: port, caPEM: caPEM,
                                                        certificatePEM: try adminCert.pem(), keyPEM: try adminKey.pem()))
        let cluster = InProcessCluster(dir: dir, api: api, store: store, port: port, caPEM: caPEM, admin: admin, server: server,
                                       serving: servingTask, authority: authority, logger: logger)
        // RBAC learns the bootstrap bindings through its watch; the admin's group is allowed from the start, so
        // this waits for the server to answer over TLS.
        try await eventually("the apiserver answering") { (try? await admin.list(.namespaces)) != nil }
        return cluster
    }

    private init(dir: String, api: APIServer, store: EmbeddedStore, port: Int, caPEM: String, admin: RESTClient, server: SecureServer,
                 serving: Task<Void, Never>, authority: CertificateAuthority, logger: Logger) {
        self.dir = dir
        self.api = api
        self.store = store
        self.port = port
        self.caPEM = caPEM
        self.admin = admin
        self.server = server
        self.serving = serving
        self.authority = authority
        self.logger = logger
    }

    static func issue(_ authority: CertificateAuthority, _ cn: String, _ o: [String], _ usage: ExtendedUsage,
                      ips: [String] = []) throws -> (PKICertificate, PrivateKey) {
        let key = try PrivateKey.generate(.ecdsaP256)
        let cert = try CertificateIssuer.issue(CertificateRequest(commonName: cn, organizations: o,
                                                                  altNames: AltNames(ipAddresses: ips.compactMap(IPAddress.init)),
                                                                  usages: [usage]),
                                               for: key, by: authority, validity: 86400)
        return (cert, key)
    }

    /// A client certificate (PEM pair) of this cluster's CA, e.g. a kubelet's `system:node:<name>`.
    func clientCertificate(_ cn: String, _ o: [String]) throws -> (cert: String, key: String) {
        let (cert, key) = try Self.issue(authority, cn, o, .clientAuth)
        return (try cert.pem(), try key.pem())
    }

    /// kube-controller-manager's controllers named as `--controllers` names them, on one set of shared informers,
    /// acting with the admin's credentials, until the task is cancelled.
    func runControllers(_ names: [String]) throws -> Task<Void, Never> {
        let manager = ControllerManager(client: admin, controllers: try ControllerManager.select(names, from: ControllerRegistry.all),
                                        logger: logger)
        return Task { await manager.runControllers() }
    }

    /// kube-scheduler with its default profile, until the task is cancelled.
    func runScheduler() -> Task<Void, Never> {
        let scheduler = Scheduler(client: admin, logger: logger)
        return Task { await scheduler.run() }
    }

    /// Stops the programs' tasks (each returns once its loops have ended), then the apiserver, and removes the
    /// data: nothing of this cluster runs on.
    func stop(_ tasks: [Task<Void, Never>]) async {
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        await server.stopAccepting()
        serving.cancel()
        await serving.value
        await api.stop()
        await store.close()
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: reading and writing as the admin

    func objects(_ resource: ResourceType, namespace: String? = "default") async throws -> [JSONValue] {
        try await admin.list(resource, namespace: resource.namespaced ? namespace : nil).items
    }

    func object(_ resource: ResourceType, _ name: String, namespace: String = "default") async throws -> JSONValue? {
        do {
            return try await admin.get(resource, namespace: resource.namespaced ? namespace : nil, name: name)
        } catch let error as APIError where error.isNotFound {
            return nil
        }
    }

    /// A Ready node with room, registered as a kubelet would (the object, then its status), for the scheduler.
    func addNode(_ name: String, labels: [String: String] = [:]) async throws {
        var node: JSONValue = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "labels": JSONValue(labels)]]
        node = try await admin.create(.nodes, node)
        node["status"] = ["allocatable": ["cpu": "4", "memory": "8Gi", "pods": "110"], "capacity": ["cpu": "4", "memory": "8Gi", "pods": "110"],
                          "conditions": [["type": "Ready", "status": "True", "reason": "KubeletReady",
                                          "lastHeartbeatTime": .string(Timestamp.format(Timestamp.now()))]]]
        _ = try await admin.updateStatus(.nodes, node)
    }

    /// Marks a pod Running and Ready, as its kubelet would report it.
    func makeReady(_ pod: JSONValue) async throws {
        _ = try await admin.patch(.pods, namespace: pod.metaNamespace, name: pod.metaName, type: .merge,
                                  body: ["status": ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]],
                                  subresource: "status")
    }
}

struct ClusterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds (a loaded two-core machine: the deadline is generous, the polling quick).
func eventually(_ what: String, timeout: Double = 90, sourceLocation: SourceLocation = #_sourceLocation,
                _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
    throw ClusterError("timed out waiting for \(what)")
}
