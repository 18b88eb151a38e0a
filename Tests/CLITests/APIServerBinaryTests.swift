import Foundation
import Testing

/// The built kube-apiserver, driven the way a user drives it: certificates from `bootstrap`, then kubectl and curl
/// over TLS on a free loopback port, a SIGTERM at the end.
let apiserverBinary = productsDirectory().appendingPathComponent("kube-apiserver").path
let curlPath = which("curl")
let etcdPath = which("etcd")
let etcdctlPath = which("etcdctl")

func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

@Suite(.serialized, .enabled(if: kubectlPath != nil && curlPath != nil, "needs kubectl and curl"))
struct APIServerBinaryTests {
    @Test func anUnknownFlagExitsWithUpstreamsWording() throws {
        let result = try run(apiserverBinary, ["--this-is-very-wrong"])
        #expect(result.code == 1)
        #expect(result.err.contains("Error: unknown flag: --this-is-very-wrong"))
    }

    @Test func kubectlAndCurlAgainstTheRunningServer() async throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await kubectlAndCurl(dir: dir, storageFlags: ["--data-dir=\(dir)/data", "--etcd-servers=https://127.0.0.1:2379"])
    }

    /// The same against a real etcd laid out as kubeadm's stacked etcd: TLS with client certificates, all from the
    /// PKI `bootstrap init phase certs all` writes (etcd/ca, etcd/server, apiserver-etcd-client).
    @Test(.enabled(if: etcdPath != nil, "needs etcd (apt-get install etcd-server)"))
    func kubectlAgainstTheServerOnATLSEtcd() async throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try run(bootstrapBinary, ["init", "phase", "certs", "all", "--cert-dir", "\(dir)/pki",
                                          "--apiserver-advertise-address", "127.0.0.1", "--node-name", "n1"]).code == 0)
        let client = freePort()
        var peer = freePort()
        while peer == client { peer = freePort() }
        let etcd = Process()
        etcd.executableURL = URL(fileURLWithPath: try #require(etcdPath))
        etcd.arguments = ["--name", "n1", "--data-dir", "\(dir)/etcd", "--log-level", "error",
                          "--listen-client-urls", "https://127.0.0.1:\(client)", "--advertise-client-urls", "https://127.0.0.1:\(client)",
                          "--listen-peer-urls", "http://127.0.0.1:\(peer)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer)",
                          "--initial-cluster", "n1=http://127.0.0.1:\(peer)",
                          "--cert-file", "\(dir)/pki/etcd/server.crt", "--key-file", "\(dir)/pki/etcd/server.key",
                          "--client-cert-auth", "--trusted-ca-file", "\(dir)/pki/etcd/ca.crt"]
        etcd.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try etcd.run()
        defer { kill(etcd.processIdentifier, SIGKILL); etcd.waitUntilExit() }
        try await kubectlAndCurl(dir: dir, storageFlags: [
            "--storage-backend=etcd3", "--etcd-servers=https://127.0.0.1:\(client)", "--etcd-cafile=\(dir)/pki/etcd/ca.crt",
            "--etcd-certfile=\(dir)/pki/apiserver-etcd-client.crt", "--etcd-keyfile=\(dir)/pki/apiserver-etcd-client.key",
        ])
        // The objects are in etcd, under /registry, as upstream keeps them.
        let etcdctl = try run(try #require(etcdctlPath), ["--endpoints=https://127.0.0.1:\(client)", "--cacert=\(dir)/pki/etcd/ca.crt",
                                                         "--cert=\(dir)/pki/etcd/healthcheck-client.crt", "--key=\(dir)/pki/etcd/healthcheck-client.key",
                                                         "get", "/registry/configmaps/demo/c", "--print-value-only"])
        #expect(etcdctl.out.contains("\"a\":\"b\""), "\(etcdctl.err)")
    }

    func kubectlAndCurl(dir: String, storageFlags: [String]) async throws {
        let port = freePort()
        #expect(try run(bootstrapBinary, ["init", "phase", "certs", "all", "--cert-dir", "\(dir)/pki",
                                          "--apiserver-advertise-address", "127.0.0.1", "--node-name", "n1"]).code == 0)
        #expect(try run(bootstrapBinary, ["init", "phase", "kubeconfig", "all", "--cert-dir", "\(dir)/pki", "--kubeconfig-dir", dir,
                                          "--apiserver-advertise-address", "127.0.0.1", "--apiserver-bind-port", String(port),
                                          "--node-name", "n1"]).code == 0)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: apiserverBinary)
        server.arguments = ["--advertise-address=127.0.0.1", "--bind-address=127.0.0.1", "--secure-port=\(port)",
                            "--tls-cert-file=\(dir)/pki/apiserver.crt", "--tls-private-key-file=\(dir)/pki/apiserver.key",
                            "--client-ca-file=\(dir)/pki/ca.crt", "--authorization-mode=Node,RBAC",
                            "--enable-admission-plugins=NodeRestriction", "--service-cluster-ip-range=10.96.0.0/12",
                            "--allow-privileged=true", "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                            "--service-account-key-file=\(dir)/pki/sa.pub", "--service-account-signing-key-file=\(dir)/pki/sa.key"] + storageFlags
        let log = FileHandle(forWritingAtPath: "/dev/null")
        server.standardOutput = log
        let errPipe = Pipe()
        server.standardError = errPipe
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let curl = try #require(curlPath), kubectl = try #require(kubectlPath)
        let base = "https://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(30)
        while try run(curl, ["-sk", "\(base)/readyz"]).out != "ok", Date() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(try run(curl, ["-s", "--cacert", "\(dir)/pki/ca.crt", "\(base)/readyz"]).out == "ok")
        let unauthorized = try run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", "\(dir)/pki/ca.crt", "\(base)/api/v1/pods"])
        #expect(unauthorized.out == "401")

        let kc = ["--kubeconfig", "\(dir)/admin.conf"]
        let version = try run(kubectl, kc + ["version"])
        #expect(version.code == 0 && version.out.contains("Server Version: v1.32"), "\(version.err)")
        #expect(try run(kubectl, kc + ["create", "namespace", "demo"]).out.contains("namespace/demo created"))
        #expect(try run(kubectl, kc + ["-n", "demo", "create", "configmap", "c", "--from-literal=a=b"]).code == 0)
        let cm = try run(kubectl, kc + ["-n", "demo", "get", "cm", "c", "-o", "jsonpath={.data.a}"])
        #expect(cm.out == "b", "\(cm.err)")
        #expect(try run(kubectl, kc + ["auth", "can-i", "*", "*"]).out == "yes\n")
        let namespaces = try run(kubectl, kc + ["get", "ns"])
        #expect(namespaces.out.contains("kube-system") && namespaces.out.contains("demo"))

        // Service accounts, as a CKA exercise uses them: the default one appears, a token for it authenticates as it,
        // RBAC decides, impersonation answers can-i for it.
        let deadlineSA = Date().addingTimeInterval(30)
        while try run(kubectl, kc + ["-n", "demo", "get", "sa", "default"]).code != 0, Date() < deadlineSA {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        let rootCA = try run(kubectl, kc + ["-n", "demo", "get", "cm", "kube-root-ca.crt", "-o", "jsonpath={.data.ca\\.crt}"])
        #expect(rootCA.out == (try String(contentsOfFile: "\(dir)/pki/ca.crt", encoding: .utf8)), "\(rootCA.err)")
        let token = try run(kubectl, kc + ["-n", "demo", "create", "token", "default", "--duration=20m"])
        #expect(token.code == 0 && token.out.split(separator: ".").count == 3, "\(token.err)")
        let asSA = ["--kubeconfig=/dev/null", "--server=\(base)", "--certificate-authority=\(dir)/pki/ca.crt",
                    "--token=\(token.out.trimmingCharacters(in: .whitespacesAndNewlines))"]
        let whoami = try run(kubectl, asSA + ["auth", "whoami"])
        #expect(whoami.out.contains("system:serviceaccount:demo:default") && whoami.out.contains("system:serviceaccounts:demo"), "\(whoami.err)")
        let forbidden = try run(kubectl, asSA + ["-n", "demo", "get", "cm"])
        #expect(forbidden.err.contains(#"User "system:serviceaccount:demo:default" cannot list resource "configmaps" in API group "" in the namespace "demo""#),
                "\(forbidden.err)")
        #expect(try run(kubectl, kc + ["auth", "can-i", "list", "configmaps", "-n", "demo", "--as=system:serviceaccount:demo:default"]).out == "no\n")
        #expect(try run(kubectl, kc + ["-n", "demo", "create", "rolebinding", "sa-view", "--clusterrole=view",
                                        "--serviceaccount=demo:default"]).code == 0)
        let canNow = Date().addingTimeInterval(30)
        while try run(kubectl, asSA + ["-n", "demo", "get", "cm", "c", "-o", "name"]).out != "configmap/c\n", Date() < canNow {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(try run(kubectl, asSA + ["-n", "demo", "get", "cm", "c", "-o", "name"]).out == "configmap/c\n")
        #expect(try run(kubectl, kc + ["auth", "can-i", "list", "configmaps", "-n", "demo", "--as=system:serviceaccount:demo:default"]).out == "yes\n")
        let short = try run(kubectl, kc + ["-n", "demo", "create", "token", "default", "--duration=1m"])
        #expect(short.code != 0 && short.err.contains("may not specify a duration less than 10 minutes"), "\(short.err)")
        // Workloads through kubectl's typed (protobuf) clients.
        #expect(try run(kubectl, kc + ["-n", "demo", "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=80"]).code == 0)
        #expect(try run(kubectl, kc + ["-n", "demo", "scale", "deployment", "web", "--replicas=5"]).out == "deployment.apps/web scaled\n")
        let deployment = try run(kubectl, kc + ["-n", "demo", "get", "deploy", "web", "-o",
                                                "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].ports[0].containerPort} {.spec.strategy.type}"])
        #expect(deployment.out == "5 80 RollingUpdate", "\(deployment.err)")
        #expect(try run(kubectl, kc + ["-n", "demo", "create", "job", "once", "--image=busybox", "--", "echo", "hi"]).code == 0)
        let job = try run(kubectl, kc + ["-n", "demo", "get", "job", "once", "-o", "jsonpath={.spec.template.spec.containers[0].command} {.spec.template.spec.restartPolicy}"])
        #expect(job.out == #"["echo","hi"] Never"#, "\(job.err)")
        let cron = try run(kubectl, kc + ["-n", "demo", "create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"])
        #expect(cron.code == 0, "\(cron.err)")
        let all = try run(kubectl, kc + ["-n", "demo", "get", "all"])
        #expect(all.out.contains("deployment.apps/web") && all.out.contains("job.batch/once") && all.out.contains("cronjob.batch/tick"), "\(all.err)")

        let jwks = try run(curl, ["-s", "--cacert", "\(dir)/pki/ca.crt", "-H", "Authorization: Bearer \(token.out.trimmingCharacters(in: .whitespacesAndNewlines))",
                                  "\(base)/openid/v1/jwks"])
        #expect(jwks.out.contains(#""kty":"RSA""#), "\(jwks.out)")

        // Bad input on purpose: mutated objects, patches and protobuf garbage for 10 s; no 5xx, no crash.
        if let python = which("python3") {
            let fuzzer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("e2e/fuzz-apiserver.py").path
            let fuzz = try run(python, [fuzzer, base, "\(dir)/pki/ca.crt", "\(dir)/pki/apiserver-kubelet-client.crt",
                                        "\(dir)/pki/apiserver-kubelet-client.key", "10", "1"])
            #expect(fuzz.code == 0, "\(fuzz.out)\(fuzz.err)")
            #expect(server.isRunning)
        }

        kill(server.processIdentifier, SIGTERM)
        let stopBy = Date().addingTimeInterval(30)
        while server.isRunning, Date() < stopBy { try await Task.sleep(nanoseconds: 20_000_000) }
        #expect(!server.isRunning)
        #expect(server.terminationStatus == 0)
        let stderr = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.contains("Serving securely on 127.0.0.1:\(port)"))
        #expect(stderr.contains("flag is accepted but not acted on by this kube-apiserver yet") && stderr.contains("--allow-privileged"))
        #expect(stderr.contains("received SIGTERM"))
    }
}
