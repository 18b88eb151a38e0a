import Foundation
import KubestrapTesting
import Testing

/// The built kube-apiserver, driven the way a user drives it: certificates from `bootstrap`, then kubectl and curl
/// over TLS on a free loopback port, a SIGTERM at the end.
let apiserverBinary = productsDirectory().appendingPathComponent("kube-apiserver").path
let controllerManagerBinary = productsDirectory().appendingPathComponent("kube-controller-manager").path
let curlPath = which("curl")
let etcdPath = which("etcd")
let etcdctlPath = which("etcdctl")

/// Waits for a child server to listen on a port chosen free, giving it this long: the kube-apiserver on etcd waits up to
/// 60 s for etcd before it binds, and everything is slow on a loaded 2-core machine.
let serverStartTimeout: Duration = .seconds(150)

/// Starts a server on ports chosen free and waits until it listens on them itself (not some other process that
/// holds them). A port chosen free can be taken before the server binds it; the server then exits saying
/// "address already in use", and starts again on fresh ports (and with a fresh log).
func startServer(_ name: String, ports count: Int, log: (Int) -> String,
                 _ launch: ([Int], String) throws -> TetheredProcess) async throws -> (process: TetheredProcess, ports: [Int], log: String) {
    for attempt in 1...5 {
        var ports: [Int] = []
        while ports.count < count {
            let port = try freeTCPPort()
            if !ports.contains(port) { ports.append(port) }
        }
        let logPath = log(attempt)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = try launch(ports, logPath)
        if await process.waitUntilListening(on: ports, timeout: serverStartTimeout) { return (process, ports, logPath) }
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        if process.isRunning {
            process.cut()
            throw CLITestError("\(name) did not listen on \(ports) within \(serverStartTimeout); its log: \(text.suffix(2000))")
        }
        guard text.lowercased().contains("address already in use"), attempt < 5 else {
            throw CLITestError("\(name) exited with status \(process.exitStatus.map(String.init) ?? "?") before it listened on \(ports) "
                               + "(attempt \(attempt)); its log: \(text.suffix(2000))")
        }
    }
    throw CLITestError("\(name) did not start")
}

@Suite(.serialized, .enabled(if: kubectlPath != nil && curlPath != nil, "needs kubectl and curl"))
struct APIServerBinaryTests {
    @Test func anUnknownFlagExitsWithUpstreamsWording() async throws {
        let result = try await run(apiserverBinary, ["--this-is-very-wrong"])
        #expect(result.code == 1)
        #expect(result.err.contains("Error: unknown flag: --this-is-very-wrong"))
    }

    @Test func kubectlAndCurlAgainstTheRunningServer() async throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // kubeadm's manifest passes --etcd-servers; with the embedded store nothing dials it (2379 may be free or
        // taken by anything), as the server says.
        let log = try await kubectlAndCurl(dir: dir, storageFlags: ["--data-dir=\(dir)/data", "--etcd-servers=https://127.0.0.1:2379"])
        #expect(log.contains("--etcd-servers is not used with --storage-backend=embedded"), "\(log.suffix(2000))")
    }

    /// The same against a real etcd laid out as kubeadm's stacked etcd: TLS with client certificates, all from the
    /// PKI `bootstrap init phase certs all` writes (etcd/ca, etcd/server, apiserver-etcd-client).
    @Test(.enabled(if: etcdPath != nil, "needs etcd (apt-get install etcd-server)"))
    func kubectlAgainstTheServerOnATLSEtcd() async throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try await run(bootstrapBinary, ["init", "phase", "certs", "all", "--cert-dir", "\(dir)/pki",
                                          "--apiserver-advertise-address", "127.0.0.1", "--node-name", "n1"]).code == 0)
        let etcdBinary = try #require(etcdPath)
        let (etcd, ports, etcdLog) = try await startServer("etcd", ports: 2, log: { "\(dir)/etcd-\($0).log" }) { ports, log in
            // A failed start may have begun a data dir for other ports.
            try? FileManager.default.removeItem(atPath: "\(dir)/etcd")
            return try TetheredProcess(executable: etcdBinary, arguments: [
                "--name", "n1", "--data-dir", "\(dir)/etcd", "--log-level", "error",
                "--listen-client-urls", "https://127.0.0.1:\(ports[0])", "--advertise-client-urls", "https://127.0.0.1:\(ports[0])",
                "--listen-peer-urls", "http://127.0.0.1:\(ports[1])", "--initial-advertise-peer-urls", "http://127.0.0.1:\(ports[1])",
                "--initial-cluster", "n1=http://127.0.0.1:\(ports[1])",
                "--cert-file", "\(dir)/pki/etcd/server.crt", "--key-file", "\(dir)/pki/etcd/server.key",
                "--client-cert-auth", "--trusted-ca-file", "\(dir)/pki/etcd/ca.crt",
            ], standardOutput: FileHandle.nullDevice, standardError: FileHandle(forWritingAtPath: log))
        }
        defer { etcd.killAndWait() }
        let client = ports[0]
        try await kubectlAndCurl(dir: dir, storageFlags: [
            "--storage-backend=etcd3", "--etcd-servers=https://127.0.0.1:\(client)", "--etcd-cafile=\(dir)/pki/etcd/ca.crt",
            "--etcd-certfile=\(dir)/pki/apiserver-etcd-client.crt", "--etcd-keyfile=\(dir)/pki/apiserver-etcd-client.key",
        ])
        // The objects are in etcd, under /registry, as upstream keeps them.
        let etcdctl = try await run(try #require(etcdctlPath), ["--endpoints=https://127.0.0.1:\(client)", "--cacert=\(dir)/pki/etcd/ca.crt",
                                                         "--cert=\(dir)/pki/etcd/healthcheck-client.crt", "--key=\(dir)/pki/etcd/healthcheck-client.key",
                                                         "get", "/registry/configmaps/demo/c", "--print-value-only"])
        #expect(etcdctl.out.contains("\"a\":\"b\""), "\(etcdctl.err)")
        #expect(etcd.isRunning, "etcd exited during the test; its log: \((try? String(contentsOfFile: etcdLog, encoding: .utf8)) ?? "")")
    }

    /// The server's log.
    @discardableResult
    func kubectlAndCurl(dir: String, storageFlags: [String]) async throws -> String {
        #expect(try await run(bootstrapBinary, ["init", "phase", "certs", "all", "--cert-dir", "\(dir)/pki",
                                          "--apiserver-advertise-address", "127.0.0.1", "--node-name", "n1"]).code == 0)
        let (server, ports, logPath) = try await startServer("kube-apiserver", ports: 1, log: { "\(dir)/apiserver-\($0).log" }) { ports, log in
            try TetheredProcess(executable: apiserverBinary, arguments: [
                "--advertise-address=127.0.0.1", "--bind-address=127.0.0.1", "--secure-port=\(ports[0])",
                "--tls-cert-file=\(dir)/pki/apiserver.crt", "--tls-private-key-file=\(dir)/pki/apiserver.key",
                "--client-ca-file=\(dir)/pki/ca.crt", "--authorization-mode=Node,RBAC",
                "--enable-admission-plugins=NodeRestriction", "--service-cluster-ip-range=10.96.0.0/12",
                "--allow-privileged=true", "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-account-key-file=\(dir)/pki/sa.pub", "--service-account-signing-key-file=\(dir)/pki/sa.key",
            ] + storageFlags, standardOutput: FileHandle.nullDevice, standardError: FileHandle(forWritingAtPath: log))
        }
        defer { server.killAndWait() }
        let port = ports[0]
        // The kubeconfig files name the port the server got.
        #expect(try await run(bootstrapBinary, ["init", "phase", "kubeconfig", "all", "--cert-dir", "\(dir)/pki", "--kubeconfig-dir", dir,
                                          "--apiserver-advertise-address", "127.0.0.1", "--apiserver-bind-port", String(port),
                                          "--node-name", "n1"]).code == 0)
        let curl = try #require(curlPath), kubectl = try #require(kubectlPath)
        let base = "https://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(60)
        while try await run(curl, ["-sk", "--max-time", "10", "\(base)/readyz"]).out != "ok", Date() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(try await run(curl, ["-s", "--cacert", "\(dir)/pki/ca.crt", "\(base)/readyz"]).out == "ok")
        let unauthorized = try await run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", "\(dir)/pki/ca.crt", "\(base)/api/v1/pods"])
        #expect(unauthorized.out == "401")

        // Service accounts and kube-root-ca.crt are kube-controller-manager's work, as upstream.
        let (controllerManager, _, _) = try await startServer("kube-controller-manager", ports: 1, log: { "\(dir)/kcm-\($0).log" }) { ports, log in
            try TetheredProcess(executable: controllerManagerBinary, arguments: [
                "--kubeconfig=\(dir)/admin.conf", "--bind-address=127.0.0.1", "--secure-port=\(ports[0])",
                "--root-ca-file=\(dir)/pki/ca.crt", "--leader-elect=false",
            ], standardOutput: FileHandle.nullDevice, standardError: FileHandle(forWritingAtPath: log))
        }
        defer { controllerManager.killAndWait() }
        let kc = ["--kubeconfig", "\(dir)/admin.conf"]
        let version = try await run(kubectl, kc + ["version"])
        #expect(version.code == 0 && version.out.contains("Server Version: v1.32"), "\(version.err)")
        #expect(try await run(kubectl, kc + ["create", "namespace", "demo"]).out.contains("namespace/demo created"))
        #expect(try await run(kubectl, kc + ["-n", "demo", "create", "configmap", "c", "--from-literal=a=b"]).code == 0)
        let cm = try await run(kubectl, kc + ["-n", "demo", "get", "cm", "c", "-o", "jsonpath={.data.a}"])
        #expect(cm.out == "b", "\(cm.err)")
        #expect(try await run(kubectl, kc + ["auth", "can-i", "*", "*"]).out == "yes\n")
        let namespaces = try await run(kubectl, kc + ["get", "ns"])
        #expect(namespaces.out.contains("kube-system") && namespaces.out.contains("demo"))

        // Service accounts, as a CKA exercise uses them: the default one appears, a token for it authenticates as it,
        // RBAC decides, impersonation answers can-i for it.
        let deadlineSA = Date().addingTimeInterval(60)
        while try await run(kubectl, kc + ["-n", "demo", "get", "sa", "default"]).code != 0, Date() < deadlineSA {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        let rootCA = try await run(kubectl, kc + ["-n", "demo", "get", "cm", "kube-root-ca.crt", "-o", "jsonpath={.data.ca\\.crt}"])
        #expect(rootCA.out == (try String(contentsOfFile: "\(dir)/pki/ca.crt", encoding: .utf8)), "\(rootCA.err)")
        let token = try await run(kubectl, kc + ["-n", "demo", "create", "token", "default", "--duration=20m"])
        #expect(token.code == 0 && token.out.split(separator: ".").count == 3, "\(token.err)")
        let asSA = ["--kubeconfig=/dev/null", "--server=\(base)", "--certificate-authority=\(dir)/pki/ca.crt",
                    "--token=\(token.out.trimmingCharacters(in: .whitespacesAndNewlines))"]
        let whoami = try await run(kubectl, asSA + ["auth", "whoami"])
        #expect(whoami.out.contains("system:serviceaccount:demo:default") && whoami.out.contains("system:serviceaccounts:demo"), "\(whoami.err)")
        let forbidden = try await run(kubectl, asSA + ["-n", "demo", "get", "cm"])
        #expect(forbidden.err.contains(#"User "system:serviceaccount:demo:default" cannot list resource "configmaps" in API group "" in the namespace "demo""#),
                "\(forbidden.err)")
        #expect(try await run(kubectl, kc + ["auth", "can-i", "list", "configmaps", "-n", "demo", "--as=system:serviceaccount:demo:default"]).out == "no\n")
        #expect(try await run(kubectl, kc + ["-n", "demo", "create", "rolebinding", "sa-view", "--clusterrole=view",
                                        "--serviceaccount=demo:default"]).code == 0)
        let canNow = Date().addingTimeInterval(60)
        while try await run(kubectl, asSA + ["-n", "demo", "get", "cm", "c", "-o", "name"]).out != "configmap/c\n", Date() < canNow {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(try await run(kubectl, asSA + ["-n", "demo", "get", "cm", "c", "-o", "name"]).out == "configmap/c\n")
        #expect(try await run(kubectl, kc + ["auth", "can-i", "list", "configmaps", "-n", "demo", "--as=system:serviceaccount:demo:default"]).out == "yes\n")
        let short = try await run(kubectl, kc + ["-n", "demo", "create", "token", "default", "--duration=1m"])
        #expect(short.code != 0 && short.err.contains("may not specify a duration less than 10 minutes"), "\(short.err)")
        // Workloads through kubectl's typed (protobuf) clients.
        #expect(try await run(kubectl, kc + ["-n", "demo", "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=80"]).code == 0)
        #expect(try await run(kubectl, kc + ["-n", "demo", "scale", "deployment", "web", "--replicas=5"]).out == "deployment.apps/web scaled\n")
        let deployment = try await run(kubectl, kc + ["-n", "demo", "get", "deploy", "web", "-o",
                                                "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].ports[0].containerPort} {.spec.strategy.type}"])
        #expect(deployment.out == "5 80 RollingUpdate", "\(deployment.err)")
        #expect(try await run(kubectl, kc + ["-n", "demo", "create", "job", "once", "--image=busybox", "--", "echo", "hi"]).code == 0)
        let job = try await run(kubectl, kc + ["-n", "demo", "get", "job", "once", "-o", "jsonpath={.spec.template.spec.containers[0].command} {.spec.template.spec.restartPolicy}"])
        #expect(job.out == #"["echo","hi"] Never"#, "\(job.err)")
        let cron = try await run(kubectl, kc + ["-n", "demo", "create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"])
        #expect(cron.code == 0, "\(cron.err)")
        // kubectl autoscale sends an autoscaling/v1 HorizontalPodAutoscaler in protobuf (it once was a 415).
        let autoscale = try await run(kubectl, kc + ["-n", "demo", "autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=60"])
        #expect(autoscale.out == "horizontalpodautoscaler.autoscaling/web autoscaled\n", "\(autoscale.err)")
        let hpa = try await run(kubectl, kc + ["-n", "demo", "get", "hpa.v2.autoscaling", "web", "-o",
                                         "jsonpath={.spec.minReplicas} {.spec.maxReplicas} {.spec.metrics[0].resource.target.averageUtilization}"])
        #expect(hpa.out == "2 5 60", "\(hpa.err)")
        // kubectl drain: a policy/v1 Eviction in protobuf for the pod on the node (there is no scheduler here: the pod
        // names its node).
        // One `kind: List` file: kubectl validates a List against /openapi/v2 in gnostic protobuf.
        let drainObjects = #"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}},"#
            + #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pinned","namespace":"demo"},"#
            + #""spec":{"nodeName":"n1","containers":[{"name":"c","image":"busybox"}]}}]}"#
        try drainObjects.write(toFile: "\(dir)/drain.json", atomically: true, encoding: .utf8)
        let made = try await run(kubectl, kc + ["create", "-f", "\(dir)/drain.json"])
        #expect(made.code == 0, "\(made.err)")
        let drain = try await run(kubectl, kc + ["drain", "n1", "--force", "--grace-period=0", "--timeout=60s"])
        #expect(drain.out.contains("pod/pinned evicted") && drain.out.contains("node/n1 drained"), "\(drain.out) \(drain.err)")
        let all = try await run(kubectl, kc + ["-n", "demo", "get", "all"])
        #expect(all.out.contains("deployment.apps/web") && all.out.contains("job.batch/once") && all.out.contains("cronjob.batch/tick"), "\(all.err)")

        let jwks = try await run(curl, ["-s", "--cacert", "\(dir)/pki/ca.crt", "-H", "Authorization: Bearer \(token.out.trimmingCharacters(in: .whitespacesAndNewlines))",
                                  "\(base)/openid/v1/jwks"])
        #expect(jwks.out.contains(#""kty":"RSA""#), "\(jwks.out)")

        // A pooling HTTP/1.1 client (curl with two URLs) reuses its connection after a watch that ended on its own
        // timeoutSeconds: the second request is answered on the same connection (num_connects 0), at once.
        let cert = ["--cacert", "\(dir)/pki/ca.crt", "--cert", "\(dir)/pki/apiserver-kubelet-client.crt",
                    "--key", "\(dir)/pki/apiserver-kubelet-client.key"]
        let reuse = try await run(curl, ["-s", "--http1.1", "--max-time", "20", "-w", "%{http_code}:%{num_connects};"] + cert + [
            "-o", "/dev/null", "\(base)/api/v1/namespaces/demo/configmaps?watch=true&timeoutSeconds=1",
            "-o", "/dev/null", "\(base)/api/v1/namespaces/demo/configmaps/c"])
        #expect(reuse.out == "200:1;200:0;", "\(reuse.out) \(reuse.err)")

        // Bad input on purpose: mutated objects, patches and protobuf garbage for 10 s; no 5xx, no crash.
        if let python = which("python3") {
            let fuzzer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("e2e/fuzz-apiserver.py").path
            let fuzz = try await run(python, [fuzzer, base, "\(dir)/pki/ca.crt", "\(dir)/pki/apiserver-kubelet-client.crt",
                                        "\(dir)/pki/apiserver-kubelet-client.key", "10", "1"])
            #expect(fuzz.code == 0, "\(fuzz.out)\(fuzz.err)")
            #expect(server.isRunning)
        }

        kill(server.pid, SIGTERM)
        #expect(await server.waitForExit(timeout: .seconds(30)), "kube-apiserver did not stop within 30 s of SIGTERM")
        #expect(server.exitStatus == 0)
        let stderr = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        #expect(stderr.contains("Serving securely on 127.0.0.1:\(port)"))
        #expect(stderr.contains("flag is accepted but not acted on by this kube-apiserver yet") && stderr.contains("--allow-privileged"))
        #expect(stderr.contains("received SIGTERM"))
        return stderr
    }
}
