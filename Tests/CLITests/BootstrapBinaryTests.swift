import Foundation
import KubestrapTesting
import Synchronization
import Testing

/// End-to-end checks of the built `bootstrap` binary with the tools a user would use: openssl and kubectl.
/// Paths are temp dirs; nothing touches /etc/kubernetes.

func productsDirectory() -> URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
}

func which(_ tool: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// Runs a tool to its end; tethered, so it does not outlive a test process that dies meanwhile. The waiting happens
/// on a thread of its own: a test blocking one of the few cooperative threads (two on a 2-core machine) stalls every
/// other test in the process, and their deadlines with them.
@discardableResult
func run(_ executable: String, _ args: [String], environment: [String: String]? = nil) async throws -> (code: Int32, out: String, err: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try runBlocking(executable, args, environment: environment) })
        }
    }
}

private func runBlocking(_ executable: String, _ args: [String], environment: [String: String]?) throws -> (code: Int32, out: String, err: String) {
    let out = Pipe(), err = Pipe()
    let tool = try TetheredProcess(executable: executable, arguments: args, environment: environment, standardOutput: out, standardError: err)
    // Both pipes are drained at once: a tool that fills one while the other is read would wait forever.
    let errData = Mutex(Data())
    let errRead = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        let data = err.fileHandleForReading.readDataToEndOfFile()
        errData.withLock { $0 = data }
        errRead.signal()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    errRead.wait()
    tool.process.waitUntilExit()
    return (tool.process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData.withLock { $0 }, as: UTF8.self))
}

struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func makeTempDir() throws -> String {
    let dir = NSTemporaryDirectory() + "kubestrap-cli-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

let bootstrapBinary = productsDirectory().appendingPathComponent("bootstrap").path
let opensslPath = which("openssl")
let kubectlPath = which("kubectl")

@Suite(.serialized, .enabled(if: opensslPath != nil, "needs openssl"))
struct BootstrapBinaryTests {
    @Test func theBinaryWasBuilt() {
        // `swift build && swift test` (the README's test command) builds it next to the test bundle.
        #expect(FileManager.default.isExecutableFile(atPath: bootstrapBinary), "missing \(bootstrapBinary)")
    }

    @Test func opensslVerifiesEveryLeafAgainstItsCA() async throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try await run(bootstrapBinary, ["init", "phase", "certs", "all", "--cert-dir", "\(dir)/pki",
                                               "--apiserver-advertise-address", "10.0.0.5", "--node-name", "n1",
                                               "--apiserver-cert-extra-sans=api.example.com,10.0.0.9"])
        #expect(result.code == 0, "\(result.err)")
        let openssl = try #require(opensslPath)
        for (leaf, ca) in [("apiserver", "ca"), ("apiserver-kubelet-client", "ca"), ("front-proxy-client", "front-proxy-ca"),
                           ("etcd/server", "etcd/ca"), ("etcd/peer", "etcd/ca"), ("etcd/healthcheck-client", "etcd/ca"),
                           ("apiserver-etcd-client", "etcd/ca")] {
            let verify = try await run(openssl, ["verify", "-CAfile", "\(dir)/pki/\(ca).crt", "\(dir)/pki/\(leaf).crt"])
            #expect(verify.code == 0 && verify.out.contains(": OK"), "\(leaf): \(verify.out) \(verify.err)")
        }
        let text = try await run(openssl, ["x509", "-in", "\(dir)/pki/apiserver.crt", "-noout", "-text"]).out
        #expect(text.contains("Subject: CN = kube-apiserver"))
        #expect(text.contains("DNS:api.example.com, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, DNS:n1, IP Address:10.96.0.1, IP Address:10.0.0.5, IP Address:10.0.0.9"))
        #expect(text.contains("TLS Web Server Authentication"))
        let ca = try await run(openssl, ["x509", "-in", "\(dir)/pki/ca.crt", "-noout", "-text"]).out
        #expect(ca.contains("CA:TRUE"))
        #expect(ca.contains("Certificate Sign"))
        let keyCheck = try await run(openssl, ["rsa", "-in", "\(dir)/pki/sa.key", "-check", "-noout"])
        #expect(keyCheck.out.contains("RSA key ok"))
    }

    @Test(.enabled(if: kubectlPath != nil))
    func kubectlReadsEveryKubeconfig() async throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: ECDSA-P256\n"
            .write(toFile: "\(dir)/c.yaml", atomically: true, encoding: .utf8)
        let common = ["--config", "\(dir)/c.yaml", "--cert-dir", "\(dir)/pki", "--apiserver-advertise-address", "10.0.0.5", "--node-name", "n1"]
        #expect(try await run(bootstrapBinary, ["init", "phase", "certs", "all"] + common).code == 0)
        let kc = try await run(bootstrapBinary, ["init", "phase", "kubeconfig", "all", "--kubeconfig-dir", dir] + common)
        #expect(kc.code == 0, "\(kc.err)")
        let kubectl = try #require(kubectlPath)
        let openssl = try #require(opensslPath)
        for (file, subject) in [("admin.conf", "O = kubeadm:cluster-admins, CN = kubernetes-admin"),
                                ("super-admin.conf", "O = system:masters, CN = kubernetes-super-admin"),
                                ("kubelet.conf", "O = system:nodes, CN = system:node:n1"),
                                ("controller-manager.conf", "CN = system:kube-controller-manager"),
                                ("scheduler.conf", "CN = system:kube-scheduler")] {
            let view = try await run(kubectl, ["--kubeconfig", "\(dir)/\(file)", "config", "view", "--raw",
                                         "-o", "jsonpath={.users[0].user.client-certificate-data}"])
            #expect(view.code == 0, "\(file): \(view.err)")
            let pemPath = "\(dir)/\(file).pem"
            try Data(base64Encoded: view.out)?.write(to: URL(fileURLWithPath: pemPath))
            let parsed = try await run(openssl, ["x509", "-in", pemPath, "-noout", "-subject"])
            #expect(parsed.out.contains(subject), "\(file): \(parsed.out)")
        }
    }

    @Test func exitCodesAndMessagesForBadInput() async throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let unknownFlag = try await run(bootstrapBinary, ["init", "phase", "certs", "all", "--nope"])
        #expect(unknownFlag.code == 1)
        #expect(unknownFlag.err.contains("Error: unknown flag: --nope"))
        let badIP = try await run(bootstrapBinary, ["init", "phase", "certs", "all", "--cert-dir", "\(dir)/pki", "--apiserver-advertise-address", "1.2.3"])
        #expect(badIP.code == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/pki"))
    }
}
