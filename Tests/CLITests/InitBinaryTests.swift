import Foundation
import Testing

/// `bootstrap init` without touching the host: `--dry-run` (everything under a temp dir, nothing started), the
/// generated unit files through `systemd-analyze verify`, and preflight refusing a used host (`--root-prefix`).
let systemdAnalyzePath = which("systemd-analyze")

@Suite(.serialized) struct InitBinaryTests {
    @Test func dryRunWritesTheManifestAndUnitsAndStartsNothing() throws {
        let result = try run(bootstrapBinary, ["init", "--dry-run", "--node-name", "n1", "--apiserver-advertise-address", "10.0.0.5"])
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
        #expect(flags.hasPrefix("KUBELET_KUBEADM_ARGS=\"--hostname-override=n1 --node-ip=10.0.0.5"))
    }

    @Test(.enabled(if: systemdAnalyzePath != nil, "needs systemd-analyze"))
    func systemdAcceptsTheGeneratedUnits() throws {
        let result = try run(bootstrapBinary, ["init", "--dry-run", "--node-name", "n1", "--apiserver-advertise-address", "10.0.0.5"])
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
        let verify = try run(try #require(systemdAnalyzePath), ["verify", dir + "/kubelet.service"])
        #expect(verify.code == 0, "\(verify.out) \(verify.err)")
        // systemd-analyze only warns (rc 0) about unknown keys: any stderr is a failure.
        #expect(verify.err.isEmpty, "\(verify.err)")
    }

    @Test func preflightRefusesAHostThatIsAlreadyInitialized() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/etc/kubernetes/manifests", withIntermediateDirectories: true)
        try "x".write(toFile: dir + "/etc/kubernetes/manifests/kube-apiserver.yaml", atomically: true, encoding: .utf8)
        try "x".write(toFile: dir + "/etc/kubernetes/admin.conf", atomically: true, encoding: .utf8)
        let result = try run(bootstrapBinary, ["init", "--root-prefix", dir, "--kubeconfig-dir", dir + "/etc/kubernetes",
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
