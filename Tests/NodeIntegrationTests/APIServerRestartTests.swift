@testable import APIServer
import APIServerHTTP
import Foundation
import KubeAPI
import KubeClient
import KubeConfig
import KubeJSON
import KubeStorage
@testable import Kubelet
import Logging
import PKI
import Testing

/// The kubelet's one API connection when the apiserver is not there yet (`bootstrap init` starts the kubelet first,
/// and the kubelet starts the apiserver as a static pod) and when it restarts: requests fail while connections are
/// refused, the same client dials again once the port answers, the pod watch carries on, and heartbeats resume.
@Suite(.serialized) struct APIServerRestartTests {
    /// A TLS kube-apiserver on loopback, and kubelet.conf for system:node:n1 pointing at `proxy` in front of it.
    struct Cluster {
        let dir: String
        let api: APIServer
        let proxy: PortProxy
        let serving: Task<Void, Never>

        static func writePair(_ cert: PKICertificate, _ key: PrivateKey, _ dir: String, _ name: String) throws {
            try CertificateStore.write(certificate: cert, key: key, to: CertificatePaths(directory: dir, baseName: name))
        }

        static func start() async throws -> Cluster {
            let dir = NSTemporaryDirectory() + "kubestrap-restart-" + UUID().uuidString
            let pki = dir + "/pki"
            let caKey = try PrivateKey.generate(.ecdsaP256)
            let ca = try CertificateIssuer.selfSignedCA(commonName: "kubernetes", key: caKey, validity: 86400)
            let authority = CertificateAuthority(certificate: ca, key: caKey)
            func leaf(_ cn: String, _ o: [String], _ usage: ExtendedUsage, ips: [String] = []) throws -> (PKICertificate, PrivateKey) {
                let key = try PrivateKey.generate(.ecdsaP256)
                let cert = try CertificateIssuer.issue(CertificateRequest(commonName: cn, organizations: o,
                                                                          altNames: AltNames(ipAddresses: ips.compactMap(IPAddress.init)), usages: [usage]),
                                                       for: key, by: authority, validity: 86400)
                return (cert, key)
            }
            try writePair(ca, caKey, pki, "ca")
            let (serving, servingKey) = try leaf("kube-apiserver", [], .serverAuth, ips: ["127.0.0.1"])
            try writePair(serving, servingKey, pki, "apiserver")
            let (kubeletClient, kubeletClientKey) = try leaf("kube-apiserver-kubelet-client", ["system:masters"], .clientAuth)
            try writePair(kubeletClient, kubeletClientKey, pki, "apiserver-kubelet-client")
            let (node, nodeKey) = try leaf("system:node:n1", ["system:nodes"], .clientAuth)

            var logger = Logger(label: "test")
            logger.logLevel = .warning
            let store = try EmbeddedStore(options: .init(directory: dir + "/data"))
            let api = APIServer(options: APIServerOptions(), storage: store,
                                kubelets: try KubeletClient(certificateFile: pki + "/apiserver-kubelet-client.crt",
                                                            keyFile: pki + "/apiserver-kubelet-client.key"),
                                logger: logger)
            try await api.start()
            let apiPort = NodeAgentTests.freePort()
            let server = try SecureServer(configuration: .init(bindAddress: "127.0.0.1", port: apiPort, certificateFile: pki + "/apiserver.crt",
                                                               privateKeyFile: pki + "/apiserver.key",
                                                               clientCA: try ClientCertificateAuthenticator(caFile: pki + "/ca.crt")),
                                          api: api, logger: logger)
            let servingTask = Task { _ = try? await server.run() }
            let proxy = PortProxy(port: NodeAgentTests.freePort(), target: apiPort)
            let kubeconfig = KubeConfig.embedded(clusterName: "kubernetes", server: "https://127.0.0.1:\(proxy.port)", caPEM: try ca.pem(),
                                                 userName: "system:node:n1", clientCertificatePEM: try node.pem(), clientKeyPEM: try nodeKey.pem())
            try kubeconfig.write(to: dir + "/kubelet.conf")
            return Cluster(dir: dir, api: api, proxy: proxy, serving: servingTask)
        }

        func settings() throws -> KubeletSettings {
            try FileManager.default.createDirectory(atPath: dir + "/manifests", withIntermediateDirectories: true)
            var configuration = KubeletConfiguration()
            configuration.staticPodPath = dir + "/manifests"
            configuration.podLogsDir = dir + "/pods"
            configuration.enableServer = false
            var settings = try KubeletSettings(configuration: configuration, rootDir: dir + "/root", nodeName: "n1")
            settings.nodeIP = "127.0.0.1"
            settings.nodeStatusUpdateFrequency = 1
            return settings
        }

        func stop() async {
            await proxy.stop()
            serving.cancel()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// `body`, or a failure when it takes longer than `seconds` (a request or watch that hangs on a lost connection).
    static func within<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw CancellationError()
            }
            return value
        }
    }

    /// The error of a request that got no HTTP answer (nil when it got one or succeeded).
    static func transportFailure(_ request: @escaping @Sendable () async throws -> Void) async throws -> (any Error)? {
        try await within(30) {
            do {
                try await request()
                return nil
            } catch is APIError {
                return nil
            } catch {
                return error
            }
        }
    }

    @Test func theConnectionIsDialledAgainAfterTheServerGoesAwayAndComesBack() async throws {
        let cluster = try await Cluster.start()
        defer { Task { await cluster.stop() } }
        let client = try KubeletAPIClient(kubeconfigPath: cluster.dir + "/kubelet.conf", settings: try cluster.settings(), version: "v1.32.0-test")

        // Nothing listens yet: refused, again and again, without an answer and without hanging.
        for _ in 0..<3 {
            #expect(try await Self.transportFailure { _ = try await client.client.get(.nodes, name: "n1") } != nil)
        }
        try await cluster.proxy.start()
        do {
            _ = try await client.client.get(.nodes, name: "n1")
            Issue.record("a Node n1 that nobody created")
        } catch let error as APIError {
            #expect(error.isNotFound)
        }
        let watch = try await client.client.watch(.pods, namespace: nil, options: ListOptions(fieldSelector: "spec.nodeName=n1"))

        // The server goes away: the watch ends rather than waiting forever, and requests fail while it is away.
        await cluster.proxy.stop()
        _ = try await Self.within(30) {
            do { for try await _ in watch {} } catch {}
            return true
        }
        for _ in 0..<3 {
            #expect(try await Self.transportFailure { _ = try await client.heartbeat.get(.nodes, name: "n1") } != nil)
        }

        // Back on the same port: the same client, both its halves, over a new connection.
        try await cluster.proxy.start()
        let node: JSONValue = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "n1"]]
        #expect(try await client.client.create(.nodes, node).metaName == "n1")
        #expect(try await client.heartbeat.get(.nodes, name: "n1").metaName == "n1")
    }

    @Test func aKubeletStartedBeforeItsAPIServerRegistersAndOutlivesItsRestart() async throws {
        let cluster = try await Cluster.start()
        defer { Task { await cluster.stop() } }
        let settings = try cluster.settings()
        let api = cluster.api
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let client = try KubeletAPIClient(kubeconfigPath: cluster.dir + "/kubelet.conf", settings: settings, version: "v1.32.0-test")
        let (events, sink) = AsyncStream<PodEvent>.makeStream()
        let kubelet = Kubelet(settings: settings, logger: logger, hostname: "n1", events: PodEventSink(sink))
        let agent = NodeAgent(client: client, settings: settings, version: "v1.32.0-test", logger: logger, events: events)
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await kubelet.run() }
                group.addTask { await agent.run(kubelet: kubelet) }
            }
        }
        defer {
            running.cancel()
            Task { await kubelet.stopAllPods() }
        }
        func post(_ path: String, _ body: JSONValue) async -> Int {
            await api.handle(APIRequest(method: "POST", uri: path, headers: [("content-type", "application/json")],
                                        body: JSONWriter.write(body), user: NodeAgentTests.admin)).status
        }
        func pod(_ name: String) -> JSONValue {
            ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
             "spec": ["nodeName": "n1", "terminationGracePeriodSeconds": 2,
                      "containers": [["name": "main", "image": "busybox", "command": ["/bin/sh", "-c", "exec sleep 300"]]]]]
        }
        func isRunning(_ name: String) async -> Bool {
            let (_, p) = await NodeAgentTests.get(api, "/api/v1/namespaces/default/pods/\(name)")
            return p[path: ["status", "phase"]] == "Running"
        }
        func renewTime() async -> String {
            let (_, lease) = await NodeAgentTests.get(api, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1")
            return lease[path: ["spec", "renewTime"]]?.string ?? ""
        }

        // Refused for a while, as while the kubelet starts the apiserver's static pod.
        try await Task.sleep(for: .seconds(2))
        #expect(await NodeAgentTests.get(api, "/api/v1/nodes/n1").0 == 404)
        try await cluster.proxy.start()
        try await NodeAgentTests.eventually {
            let (_, n) = await NodeAgentTests.get(api, "/api/v1/nodes/n1")
            return (n[path: ["status", "conditions"]]?.array ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
        }
        try await NodeAgentTests.eventually { await !renewTime().isEmpty }
        // No kube-controller-manager here: the `default` service account its serviceaccount controller would make.
        let account: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "default"]]
        try await NodeAgentTests.eventually { [201, 409].contains(await post("/api/v1/namespaces/default/serviceaccounts", account)) }
        #expect(await post("/api/v1/namespaces/default/pods", pod("before")) == 201)
        try await NodeAgentTests.eventually { await isRunning("before") }

        // The apiserver goes away; a pod is bound to the node meanwhile; the apiserver comes back on the same port.
        let renewedBefore = await renewTime()
        await cluster.proxy.stop()
        #expect(await post("/api/v1/namespaces/default/pods", pod("meanwhile")) == 201)
        try await Task.sleep(for: .seconds(3))
        try await cluster.proxy.start()

        // The watch picks the pod up, its status is reported, the Lease is renewed, and a deletion is carried out.
        try await NodeAgentTests.eventually { await isRunning("meanwhile") }
        try await NodeAgentTests.eventually { await renewTime() > renewedBefore }
        let deletion = await api.handle(APIRequest(method: "DELETE", uri: "/api/v1/namespaces/default/pods/before", headers: [], body: [],
                                                   user: NodeAgentTests.admin))
        #expect(deletion.status == 200)
        try await NodeAgentTests.eventually { await NodeAgentTests.get(api, "/api/v1/namespaces/default/pods/before").0 == 404 }
    }
}
