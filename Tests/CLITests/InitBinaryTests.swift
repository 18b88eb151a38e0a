import Foundation
import Testing

/// `bootstrap init` without touching the host: `--dry-run` (everything under a temp dir, nothing started), the
/// generated unit files through `systemd-analyze verify`, and preflight refusing a used host (`--root-prefix`).
let systemdAnalyzePath = which("systemd-analyze")

@Suite(.serialized) struct InitBinaryTests {
    @Test func dryRunWritesTheManifestAndUnitsAndStartsNothing() async throws {
        let result = try await run(bootstrapBinary, ["init", "--dry-run", "--node-name", "n1", "--apiserver-advertise-address", "10.0.0.5"])
        #expect(result.code == 0, "\(result.err)")
        let out = result.out
        #expect(out.contains("[control-plane] Creating static Pod manifest for \"kube-apiserver\""))
        #expect(out.contains("--advertise-address=10.0.0.5") && out.contains("--storage-backend=embedded"))
        #expect(out.contains("kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: 10.0.0.5:6443"))
        #expect(out.contains("path: /livez") && out.contains("path: /readyz") && out.contains("scheme: HTTPS"))
        #expect(out.contains("Type=notify") && out.contains("WatchdogSec=") && out.contains("EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env"))
        #expect(out.contains("Would start the kubelet (dry run)"))
        #expect(!out.contains("initialized successfully"))
        let root = try #require(out.split(separator: "\n").first { $0.hasPrefix("[dryrun] Writing everything under ") }
            .map { String($0.dropFirst("[dryrun] Writing everything under ".count)) })
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(FileManager.default.fileExists(atPath: root + "/etc/kubernetes/pki/ca.crt"))
        #expect(FileManager.default.fileExists(atPath: root + "/var/lib/kubelet/config.yaml"))
        let flags = try String(contentsOfFile: root + "/var/lib/kubelet/kubeadm-flags.env", encoding: .utf8)
        // After --container-runtime-endpoint when this host has a runtime (flags sorted by name, as kubeadm's).
        #expect(flags.hasPrefix("KUBELET_KUBEADM_ARGS=\"") && flags.contains(" --hostname-override=n1 --node-ip=10.0.0.5")
                || flags.hasPrefix("KUBELET_KUBEADM_ARGS=\"--hostname-override=n1 --node-ip=10.0.0.5"))
        // The embedded store: its data directory is a flag and a volume; there is no etcd pod.
        let manifest = try String(contentsOfFile: root + "/etc/kubernetes/manifests/kube-apiserver.yaml", encoding: .utf8)
        #expect(manifest.contains("    - --data-dir=\(root)/var/lib/kubestrap\n") && manifest.contains("    name: kubestrap-data\n"))
        #expect(!manifest.contains("--etcd-") && !manifest.contains("{{"))
        #expect(!FileManager.default.fileExists(atPath: root + "/etc/kubernetes/manifests/etcd.yaml"))
        // kubeadm's other two components, run by the kubelet from the installed binaries.
        #expect(out.contains("[control-plane] Creating static Pod manifest for \"kube-controller-manager\""))
        #expect(out.contains("[control-plane] Creating static Pod manifest for \"kube-scheduler\""))
        let kcm = try String(contentsOfFile: root + "/etc/kubernetes/manifests/kube-controller-manager.yaml", encoding: .utf8)
        #expect(kcm.contains("    - \(root)/usr/local/bin/kube-controller-manager\n")
                && kcm.contains("    - --kubeconfig=\(root)/etc/kubernetes/controller-manager.conf\n"))
        let scheduler = try String(contentsOfFile: root + "/etc/kubernetes/manifests/kube-scheduler.yaml", encoding: .utf8)
        #expect(scheduler.contains("    - \(root)/usr/local/bin/kube-scheduler\n") && scheduler.contains("        port: 10259\n"))
    }

    @Test(.enabled(if: systemdAnalyzePath != nil, "needs systemd-analyze"))
    func systemdAcceptsTheControlPlaneUnits() async throws {
        let result = try await run(bootstrapBinary, ["init", "--dry-run", "--node-name", "n1", "--apiserver-advertise-address", "10.0.0.5",
                                               "--control-plane-mode=systemd"])
        #expect(result.code == 0, "\(result.err)")
        let root = try #require(result.out.split(separator: "\n").first { $0.hasPrefix("[dryrun] Writing everything under ") }
            .map { String($0.dropFirst("[dryrun] Writing everything under ".count)) })
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for component in ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] {
            // verify needs ExecStart to exist on this machine: point the unit at the built binary.
            let text = try String(contentsOfFile: root + "/etc/systemd/system/\(component).service", encoding: .utf8)
            try text.replacingOccurrences(of: root + "/usr/local/bin/" + component, with: productsDirectory().appendingPathComponent(component).path)
                .write(toFile: dir + "/\(component).service", atomically: true, encoding: .utf8)
            let verify = try await run(try #require(systemdAnalyzePath), ["verify", dir + "/\(component).service"])
            #expect(verify.code == 0, "\(component): \(verify.out) \(verify.err)")
            #expect(verify.err.isEmpty, "\(component): \(verify.err)")
        }
    }

    /// `--storage-backend=etcd3`: kubeadm's stacked etcd, its manifest and the apiserver's --etcd-* flags.
    @Test func dryRunWithAStackedEtcdWritesItsManifest() async throws {
        let result = try await run(bootstrapBinary, ["init", "--dry-run", "--node-name", "n1", "--apiserver-advertise-address", "10.0.0.5",
                                               "--storage-backend=etcd3"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.contains("[etcd] Creating static Pod manifest for local etcd in"))
        let root = try #require(result.out.split(separator: "\n").first { $0.hasPrefix("[dryrun] Writing everything under ") }
            .map { String($0.dropFirst("[dryrun] Writing everything under ".count)) })
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pki = root + "/etc/kubernetes/pki"
        let etcd = try String(contentsOfFile: root + "/etc/kubernetes/manifests/etcd.yaml", encoding: .utf8)
        for line in ["    - --advertise-client-urls=https://10.0.0.5:2379", "    - --cert-file=\(pki)/etcd/server.crt",
                     "    - --client-cert-auth=true", "    - --data-dir=\(root)/var/lib/etcd",
                     "    - --initial-cluster=n1=https://10.0.0.5:2380", "    - --listen-client-urls=https://127.0.0.1:2379,https://10.0.0.5:2379",
                     "    - --listen-metrics-urls=http://127.0.0.1:2381", "    - --trusted-ca-file=\(pki)/etcd/ca.crt",
                     "        path: /health", "        port: 2381", "  name: etcd", "  namespace: kube-system"] {
            #expect(etcd.contains(line + "\n"), "etcd.yaml lacks \(line)")
        }
        let apiserver = try String(contentsOfFile: root + "/etc/kubernetes/manifests/kube-apiserver.yaml", encoding: .utf8)
        // Sorted among the other flags as kubeadm writes them, and no trace of the embedded store.
        #expect(apiserver.contains("""
                - --enable-bootstrap-token-auth=true
                - --etcd-cafile=\(pki)/etcd/ca.crt
                - --etcd-certfile=\(pki)/apiserver-etcd-client.crt
                - --etcd-keyfile=\(pki)/apiserver-etcd-client.key
                - --etcd-servers=https://127.0.0.1:2379
                - --kubelet-client-certificate=
            """))
        #expect(apiserver.contains("    - --storage-backend=etcd3\n"))
        #expect(!apiserver.contains("--data-dir") && !apiserver.contains("kubestrap-data") && !apiserver.contains("{{"))
        var mode: mode_t = 0
        var st = stat()
        if stat(root + "/var/lib/etcd", &st) == 0 { mode = st.st_mode & 0o777 }
        #expect(mode == 0o700)
    }

    @Test func anUnknownStorageBackendIsRefused() async throws {
        let result = try await run(bootstrapBinary, ["init", "--dry-run", "--storage-backend=etcd2"])
        #expect(result.code != 0)
        #expect(result.err.contains("--storage-backend etcd2: expected 'embedded' or 'etcd3'"), "\(result.err)")
    }

    @Test(.enabled(if: systemdAnalyzePath != nil, "needs systemd-analyze"))
    func systemdAcceptsTheGeneratedUnits() async throws {
        let result = try await run(bootstrapBinary, ["init", "--dry-run", "--node-name", "n1", "--apiserver-advertise-address", "10.0.0.5"])
        let root = try #require(result.out.split(separator: "\n").first { $0.hasPrefix("[dryrun] Writing everything under ") }
            .map { String($0.dropFirst("[dryrun] Writing everything under ".count)) })
        defer { try? FileManager.default.removeItem(atPath: root) }
        // verify needs ExecStart to exist on this machine: point the units at the built kubelet.
        let kubelet = productsDirectory().appendingPathComponent("kubelet").path
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/kubelet.service.d", withIntermediateDirectories: true)
        for unit in ["kubelet.service", "kubelet.service.d/10-kubeadm.conf"] {
            let text = try String(contentsOfFile: root + "/etc/systemd/system/" + unit, encoding: .utf8)
            try text.replacingOccurrences(of: root + "/usr/local/bin/kubelet", with: kubelet)
                .write(toFile: dir + "/" + unit, atomically: true, encoding: .utf8)
        }
        let verify = try await run(try #require(systemdAnalyzePath), ["verify", dir + "/kubelet.service"])
        #expect(verify.code == 0, "\(verify.out) \(verify.err)")
        // systemd-analyze only warns (rc 0) about unknown keys: any stderr is a failure.
        #expect(verify.err.isEmpty, "\(verify.err)")
    }

    @Test func preflightRefusesAHostThatIsAlreadyInitialized() async throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/etc/kubernetes/manifests", withIntermediateDirectories: true)
        try "x".write(toFile: dir + "/etc/kubernetes/manifests/kube-apiserver.yaml", atomically: true, encoding: .utf8)
        try "x".write(toFile: dir + "/etc/kubernetes/admin.conf", atomically: true, encoding: .utf8)
        let result = try await run(bootstrapBinary, ["init", "--root-prefix", dir, "--kubeconfig-dir", dir + "/etc/kubernetes",
                                               "--cert-dir", dir + "/etc/kubernetes/pki", "--node-name", "n1",
                                               "--ignore-preflight-errors=IsPrivilegedUser,Port-6443,Port-10248,Port-10250"])
        #expect(result.code == 1)
        #expect(result.err.contains("[ERROR DirAvailable-"), "\(result.err)")
        #expect(result.err.contains("[ERROR FileAvailable-") && result.err.contains("admin.conf already exists"))
        #expect(result.err.contains("--ignore-preflight-errors"))
        // Nothing was written.
        #expect(!FileManager.default.fileExists(atPath: dir + "/etc/kubernetes/pki"))
    }
}
