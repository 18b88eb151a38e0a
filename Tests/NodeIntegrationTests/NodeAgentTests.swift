@testable import APIServer
import APIServerHTTP
import Foundation
import KubeConfig
import KubeJSON
@testable import Kubelet
import Logging
import KubeStreams
import NIOSSL
import Testing

/// The kubelet and the kube-apiserver together, in process, over real TLS on loopback: Node registration, Lease,
/// mirror pods with status, recreation of a deleted mirror, events, `pods/log` through the kubelet API, and a pod of
/// the API that kube-scheduler binds to the node.
@Suite(.serialized) struct NodeAgentTests {
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func eventually(_ timeout: Double = 90, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        Issue.record("condition not met within \(timeout)s")
    }

    static let admin = UserInfo(name: "admin", groups: ["system:masters", "system:authenticated"])

    static func get(_ api: APIServer, _ path: String) async -> (Int, JSONValue) {
        let r = await api.handle(APIRequest(method: "GET", uri: path, headers: [], body: [], user: admin))
        guard case .bytes(let b) = r.body else { return (r.status, .null) }
        return (r.status, (try? JSONParser.parse(b)) ?? .null)
    }

    /// A WebSocket exec as kubectl's: the upgrade over HTTP/1.1 with the kubelet client certificate (system:masters),
    /// stdin then its end on v5's close channel; stdout and the status until the server closes.
    static func exec(port: Int, pki: String, path: String, stdin: String) async throws -> (String, String) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(pki + "/apiserver-kubelet-client.crt").map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: pki + "/apiserver-kubelet-client.key", format: .pem))
        tls.applicationProtocols = ["http/1.1"]
        let connection = try await RawConnection.connect(host: "127.0.0.1", port: port, tls: tls)
        defer { connection.close() }
        try await connection.write(HTTPHead(startLine: "GET \(path) HTTP/1.1", headers: [
            ("Host", "127.0.0.1:\(port)"), ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Protocol", "v5.channel.k8s.io, v4.channel.k8s.io"),
        ]).serialized)
        var inbound = connection.inbound.makeAsyncIterator()
        let answer = try #require(await HTTPHead.read(from: &inbound))
        #expect(answer.status == 101 && answer.header("sec-websocket-protocol") == "v5.channel.k8s.io", "\(answer.startLine)")
        let mask: [UInt8] = [7, 7, 7, 7]
        try await connection.write(WebSocket.encode(.init(opcode: .binary, payload: [0] + Array(stdin.utf8)), mask: mask))
        try await connection.write(WebSocket.encode(.init(opcode: .binary, payload: [255, 0]), mask: mask))
        var reader = WebSocket.MessageReader()
        reader.feed(answer.rest)
        var stdout: [UInt8] = [], status: [UInt8] = []
        reading: while true {
            while let event = try reader.next() {
                switch event {
                case .message(_, let payload) where payload.first == 1: stdout += payload.dropFirst()
                case .message(_, let payload) where payload.first == 3: status += payload.dropFirst()
                case .close: break reading
                default: continue
                }
            }
            guard var chunk = await inbound.next() else { break }
            reader.feed(chunk.readBytes(length: chunk.readableBytes) ?? [])
        }
        return (String(decoding: stdout, as: UTF8.self), String(decoding: status, as: UTF8.self))
    }

    @Test func aKubeletBecomesANodeWithMirrorPodsAndLogs() async throws {
        // The apiserver over TLS, and what a pod of the API needs besides a kubelet: kube-scheduler to bind it and
        // kube-controller-manager's serviceaccount controller for its namespace's `default` service account.
        let cluster = try await InProcessCluster.start { pki in
            try KubeletClient(certificateFile: pki + "/apiserver-kubelet-client.crt", keyFile: pki + "/apiserver-kubelet-client.key")
        }
        let controlPlane = [try cluster.runControllers(["serviceaccount"]), cluster.runScheduler()]
        let api = cluster.api
        let dir = cluster.dir
        let pki = cluster.pki
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let node = try cluster.clientCertificate("system:node:n1", ["system:nodes"])

        // The kubelet: one static pod, kubelet.conf for system:node:n1, the kubelet API on a free port.
        let kubeconfig = KubeConfig.embedded(clusterName: "kubernetes", server: "https://127.0.0.1:\(cluster.port)", caPEM: cluster.caPEM,
                                             userName: "system:node:n1", clientCertificatePEM: node.cert, clientKeyPEM: node.key)
        try kubeconfig.write(to: dir + "/kubelet.conf")
        try FileManager.default.createDirectory(atPath: dir + "/manifests", withIntermediateDirectories: true)
        try """
        apiVersion: v1
        kind: Pod
        metadata: {name: ticker, namespace: kube-system}
        spec:
          containers:
          - name: ticker
            image: busybox
            command: ["/bin/sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"]
        """.write(toFile: dir + "/manifests/ticker.yaml", atomically: true, encoding: .utf8)
        var configuration = KubeletConfiguration()
        configuration.staticPodPath = dir + "/manifests"
        configuration.podLogsDir = dir + "/pods"
        configuration.port = Self.freePort()
        configuration.authentication = .init(x509: .init(clientCAFile: pki + "/ca.crt"))
        configuration.authorization = .init(mode: "Webhook")
        var settings = try KubeletSettings(configuration: configuration, rootDir: dir + "/root", nodeName: "n1")
        settings.nodeIP = "127.0.0.1"
        settings.nodeStatusUpdateFrequency = 1
        let client = try KubeletAPIClient(kubeconfigPath: dir + "/kubelet.conf", settings: settings, version: "v1.32.0-test")
        let (events, sink) = AsyncStream<PodEvent>.makeStream()
        let kubelet = Kubelet(settings: settings, logger: logger, hostname: "n1", events: PodEventSink(sink))
        let kubeletServer = try KubeletServer(kubelet: kubelet, settings: settings, client: client, logger: logger)
        let agent = NodeAgent(client: client, settings: settings, version: "v1.32.0-test", logger: logger, events: events)
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await kubelet.run() }
                group.addTask { await agent.run(kubelet: kubelet) }
                group.addTask { try? await kubeletServer.run() }
            }
        }
        defer {
            running.cancel()
            Task {
                await kubelet.stopAllPods()
                await cluster.stop(controlPlane)
            }
        }

        try await Self.eventually {
            let (_, n) = await Self.get(api, "/api/v1/nodes/n1")
            return (n[path: ["status", "conditions"]]?.array ?? []).contains { $0["type"]?.string == "Ready" && $0["status"]?.string == "True" }
        }
        let (_, nodeObject) = await Self.get(api, "/api/v1/nodes/n1")
        #expect(nodeObject.metaLabels["kubernetes.io/hostname"] == "n1")
        #expect(nodeObject[path: ["status", "daemonEndpoints", "kubeletEndpoint", "Port"]]?.int == Int64(settings.port))
        try await Self.eventually { await Self.get(api, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1").0 == 200 }

        try await Self.eventually {
            let (_, p) = await Self.get(api, "/api/v1/namespaces/kube-system/pods/ticker-n1")
            return p[path: ["status", "phase"]]?.string == "Running"
                && p[path: ["status", "containerStatuses"]]?.array?.first?["ready"]?.bool == true
        }
        let (_, mirror) = await Self.get(api, "/api/v1/namespaces/kube-system/pods/ticker-n1")
        #expect(mirror[path: ["metadata", "annotations", "kubernetes.io/config.mirror"]] != nil)
        #expect(mirror[path: ["metadata", "ownerReferences"]]?.array?.first?["kind"]?.string == "Node")
        #expect(mirror[path: ["status", "podIP"]]?.string == "127.0.0.1")

        // A deleted mirror comes back (with a new UID); the container keeps running.
        let deleted = await api.handle(APIRequest(method: "DELETE", uri: "/api/v1/namespaces/kube-system/pods/ticker-n1", headers: [],
                                                  body: [], user: Self.admin))
        #expect(deleted.status == 200)   // bound to a node: graceful; the kubelet finishes it and recreates the mirror
        try await Self.eventually {
            let (status, p) = await Self.get(api, "/api/v1/namespaces/kube-system/pods/ticker-n1")
            return status == 200 && p.metaUID != mirror.metaUID
        }

        // Events about the static pod, with its config hash as UID (what kubectl describe looks up).
        try await Self.eventually {
            let (_, list) = await Self.get(api, "/api/v1/namespaces/kube-system/events?fieldSelector=reason%3DStarted")
            return (list["items"]?.array ?? []).contains { $0[path: ["involvedObject", "name"]]?.string == "ticker-n1" }
        }

        // pods/log: apiserver → kubelet API → the CRI log file.
        try await Self.eventually {
            let r = await api.handle(APIRequest(method: "GET", uri: "/api/v1/namespaces/kube-system/pods/ticker-n1/log?tailLines=2",
                                                headers: [], body: [], user: Self.admin))
            guard case .stream(let stream) = r.body, r.status == 200 else { return false }
            var text = ""
            for await chunk in stream { text += String(decoding: chunk, as: UTF8.self) }
            return text.hasPrefix("tick ") && text.split(separator: "\n").count == 2
        }
        // A node may not touch another node.
        let other = await api.handle(APIRequest(method: "PATCH", uri: "/api/v1/nodes/n1", headers: [("content-type", "application/merge-patch+json")],
                                                body: Array(#"{"metadata":{"labels":{"x":"y"}}}"#.utf8),
                                                user: UserInfo(name: "system:node:n2", groups: ["system:nodes", "system:authenticated"])))
        #expect(other.status == 403)

        // A pod of the API: the scheduler binds it to n1, the kubelet runs its command and reports its status.
        func post(_ path: String, _ body: JSONValue) async -> Int {
            await api.handle(APIRequest(method: "POST", uri: path, headers: [("content-type", "application/json")],
                                        body: JSONWriter.write(body), user: Self.admin)).status
        }
        let sleeper: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "sleeper"],
                                  "spec": ["terminationGracePeriodSeconds": 2,
                                           "containers": [["name": "main", "image": "busybox",
                                                           "command": ["/bin/sh", "-c", "echo hello from the api; exec sleep 300"]]]]]
        try await Self.eventually { await post("/api/v1/namespaces/default/pods", sleeper) == 201 }
        try await Self.eventually {
            let (_, p) = await Self.get(api, "/api/v1/namespaces/default/pods/sleeper")
            return p[path: ["spec", "nodeName"]] == "n1" && p[path: ["status", "phase"]] == "Running"
                && p[path: ["status", "containerStatuses"]]?.array?.first?["ready"]?.bool == true
        }
        try await Self.eventually {
            let r = await api.handle(APIRequest(method: "GET", uri: "/api/v1/namespaces/default/pods/sleeper/log",
                                                headers: [], body: [], user: Self.admin))
            guard case .stream(let stream) = r.body, r.status == 200 else { return false }
            var text = ""
            for await chunk in stream { text += String(decoding: chunk, as: UTF8.self) }
            return text == "hello from the api\n"
        }
        // exec through the apiserver's TLS front (the connection taken over and proxied) to the kubelet API: WebSocket
        // v5, stdin ended on the close channel, stdout, and the exit code as upstream's status.
        let (output, status) = try await Self.exec(port: cluster.port, pki: cluster.pki,
                                                   path: "/api/v1/namespaces/default/pods/sleeper/exec?command=sh&command=-c&command=cat%3Bexit+3&stdin=true&stdout=true&stderr=true",
                                                   stdin: "through the apiserver\n")
        #expect(output == "through the apiserver\n")
        #expect(status.contains(#""causes":[{"message":"3","reason":"ExitCode"}]"#), "\(status)")

        // No command, no container runtime: Pending with the reason.
        let noCommand: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "nginx"],
                                    "spec": ["containers": [["name": "nginx", "image": "nginx"]]]]
        #expect(await post("/api/v1/namespaces/default/pods", noCommand) == 201)
        try await Self.eventually {
            let (_, p) = await Self.get(api, "/api/v1/namespaces/default/pods/nginx")
            return p[path: ["status", "containerStatuses"]]?.array?.first?[path: ["state", "waiting", "reason"]] == "CreateContainerConfigError"
        }
        // Deleting it stops its process (gracefully) and the kubelet then removes the pod.
        let deletion = await api.handle(APIRequest(method: "DELETE", uri: "/api/v1/namespaces/default/pods/sleeper", headers: [], body: [],
                                                   user: Self.admin))
        #expect(deletion.status == 200)
        try await Self.eventually { await Self.get(api, "/api/v1/namespaces/default/pods/sleeper").0 == 404 }
        #expect(await kubelet.podSnapshots().contains { $0.pod.name == "sleeper" } == false)
    }
}
