import Foundation
import Testing

/// `bootstrap init` under a real systemd: e2e/systemd-init.sh boots a Debian rootfs with systemd-nspawn and checks
/// the kubelet unit, its journal, the apiserver process and `kubectl get pods`. Runs where it can (root, debootstrap,
/// systemd-nspawn, free ports); `.ci/run` installs what it needs.
let e2eScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("e2e/systemd-init.sh").path

func portsFree(_ ports: [UInt16]) -> Bool {
    ports.allSatisfy { port in
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

let canBootSystemd = geteuid() == 0 && which("debootstrap") != nil && which("systemd-nspawn") != nil
    && which("kubectl") != nil && portsFree([6443, 10248, 10250])

@Suite(.serialized, .enabled(if: canBootSystemd, "needs root, debootstrap, systemd-nspawn, kubectl and free ports 6443/10248/10250"))
struct SystemdEndToEndTests {
    @Test func bootstrapInitUnderSystemd() async throws {
        var env = ProcessInfo.processInfo.environment
        env["KUBESTRAP_E2E_BIN"] = productsDirectory().path
        // Tethered (by run): the script does not outlive a test process that dies meanwhile; its own cleanup is its own.
        let result = try await run("/bin/sh", [e2eScript], environment: env)
        let text = result.out + result.err
        #expect(result.code == 0, "\(text)")
        #expect(text.contains("systemctl is-active kubelet: active"))
        #expect(text.contains("[e2e] PASS"))
    }
}
