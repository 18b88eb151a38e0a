import Foundation
import KubeCommand
import KubeadmAPI
import KubeHTTPClient
import KubestrapTesting

/// `bootstrap test-env`: the control plane for controller tests (what envtest gives, plus the controllers envtest
/// lacks): kube-apiserver, kube-controller-manager and kube-scheduler as child processes on loopback, with a
/// throw-away PKI (ECDSA P-256: fast to make) and an embedded store under one directory, no root, no kubelet.
/// Children are tethered (they die with this process, even on SIGKILL); SIGTERM or Ctrl-C stops them and removes
/// the directory.
struct TestEnvironment {
    var directory: String?
    var binDir: String
    var keep: Bool
    var withScheduler = true
    var withControllerManager = true
    let output: any OutputSink

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The directory of this executable: the other programs are built and installed next to it.
    static func executableDirectory() -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (path as NSString).deletingLastPathComponent
    }

    func run() async throws {
        let started = Date()
        let root: String
        if let directory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            root = directory
        } else {
            let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            var template = Array("\(base)/kubestrap-test-env-XXXXXX".utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }) else {
                throw Failure(description: "cannot create a directory under \(base): \(String(cString: strerror(errno)))")
            }
            root = String(cString: made)
        }
        let removeOnExit = directory == nil && !keep
        defer { if removeOnExit { try? FileManager.default.removeItem(atPath: root) } }
        for binary in ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] {
            guard FileManager.default.isExecutableFile(atPath: "\(binDir)/\(binary)") else {
                throw Failure(description: "\(binDir)/\(binary) not found: test-env runs the programs built next to bootstrap (--bin-dir to look elsewhere)")
            }
        }
        try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        let port = try freeTCPPort()
        try await writePKI(root: root, port: port)

        var children: [(String, TetheredProcess)] = []
        func start(_ name: String, _ arguments: [String]) throws {
            let log = "\(root)/logs/\(name).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            children.append((name, try TetheredProcess(executable: "\(binDir)/\(name)", arguments: arguments,
                                                      standardOutput: FileHandle.nullDevice,
                                                      standardError: FileHandle(forWritingAtPath: log))))
        }
        let pki = root + "/pki"
        try start("kube-apiserver", [
            "--advertise-address=127.0.0.1", "--bind-address=127.0.0.1", "--secure-port=\(port)",
            "--tls-cert-file=\(pki)/apiserver.crt", "--tls-private-key-file=\(pki)/apiserver.key", "--client-ca-file=\(pki)/ca.crt",
            "--proxy-client-cert-file=\(pki)/front-proxy-client.crt", "--proxy-client-key-file=\(pki)/front-proxy-client.key",
            "--requestheader-allowed-names=front-proxy-client", "--requestheader-client-ca-file=\(pki)/front-proxy-ca.crt",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-", "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-username-headers=X-Remote-User",
            "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction", "--service-cluster-ip-range=10.96.0.0/12",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local", "--service-account-key-file=\(pki)/sa.pub",
            "--service-account-signing-key-file=\(pki)/sa.key", "--data-dir=\(root)/data",
            // A kubelet started against the environment (its kubelet.conf) is reached for logs, exec and port-forward.
            "--kubelet-client-certificate=\(pki)/apiserver-kubelet-client.crt", "--kubelet-client-key=\(pki)/apiserver-kubelet-client.key",
        ])
        defer { for (_, child) in children { child.killAndWait() } }
        try await waitReady(port: port, pki: pki, child: children[0].1, log: "\(root)/logs/kube-apiserver.log")
        if withControllerManager {
            try start("kube-controller-manager", [
                "--kubeconfig=\(root)/controller-manager.conf", "--bind-address=127.0.0.1", "--secure-port=0",
                "--leader-elect=false", "--root-ca-file=\(pki)/ca.crt", "--use-service-account-credentials=true",
                "--cluster-signing-cert-file=\(pki)/ca.crt", "--cluster-signing-key-file=\(pki)/ca.key",
                "--service-account-private-key-file=\(pki)/sa.key",
            ])
        }
        if withScheduler {
            try start("kube-scheduler", ["--kubeconfig=\(root)/scheduler.conf", "--bind-address=127.0.0.1", "--secure-port=0",
                                         "--leader-elect=false"])
        }
        let elapsed = Int(Date().timeIntervalSince(started) * 1000)
        output.out("""
            Control plane ready in \(elapsed)ms: kube-apiserver https://127.0.0.1:\(port)\(withControllerManager ? ", kube-controller-manager" : "")\(withScheduler ? ", kube-scheduler" : "")
            Logs: \(root)/logs
            export KUBECONFIG=\(root)/admin.conf

            """)
        let signals = SignalWaiter.wait(for: [SIGTERM, SIGINT])
        // A child that exits ends the environment too: a test must not go on against half a control plane.
        let running = children
        let watch = Task {
            while !Task.isCancelled {
                if let (name, child) = running.first(where: { !$0.1.isRunning }) {
                    return "\(name) exited with status \(child.exitStatus ?? -1); see \(root)/logs/\(name).log"
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
            return ""
        }
        let signalTask = Task { for await _ in signals { watch.cancel(); return } }
        let exitReason = await watch.value
        signalTask.cancel()
        for (_, child) in children.reversed() { _ = await child.stop(grace: .seconds(5)) }
        if !exitReason.isEmpty { throw Failure(description: exitReason) }
        output.out("Stopped\(removeOnExit ? "; removed \(root)" : "")\n")
    }

    /// The PKI and kubeconfig files, made by bootstrap's own phases from a kubeadm configuration file.
    func writePKI(root: String, port: Int) async throws {
        let config = """
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: InitConfiguration
            localAPIEndpoint:
              advertiseAddress: 127.0.0.1
              bindPort: \(port)
            nodeRegistration:
              name: test-env
            ---
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            certificatesDir: \(root)/pki
            encryptionAlgorithm: ECDSA-P256

            """
        try config.write(toFile: root + "/kubeadm.yaml", atomically: true, encoding: .utf8)
        for phase in [["certs", "all"], ["kubeconfig", "all", "--kubeconfig-dir", root]] {
            let quiet = CollectingSink()
            let code = await CommandRunner(root: InitCommand.make(host: { HostFacts.detect() }), output: quiet)
                .execute(["phase"] + phase + ["--config", root + "/kubeadm.yaml"])
            guard code == 0 else { throw Failure(description: "init phase \(phase.joined(separator: " ")) failed: \(quiet.text)") }
        }
    }

    func waitReady(port: Int, pki: String, child: TetheredProcess, log: String) async throws {
        let client = try HTTPSClient(host: "127.0.0.1", port: port, caPEM: try String(contentsOfFile: pki + "/ca.crt", encoding: .utf8),
                                     certificatePEM: nil, keyPEM: nil)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            guard child.isRunning else {
                throw Failure(description: "kube-apiserver exited: \(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").suffix(2000))")
            }
            if let answer = try? await client.send(.GET, "/readyz"), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw Failure(description: "kube-apiserver was not ready within 60s; see \(log)")
    }
}

/// Collects a command's output (the phases' own lines are not for test-env's user).
final class CollectingSink: OutputSink, @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = ""
    func out(_ text: String) { lock.withLock { buffer += text } }
    func err(_ text: String) { lock.withLock { buffer += text } }
    var text: String { lock.withLock { buffer } }
}
