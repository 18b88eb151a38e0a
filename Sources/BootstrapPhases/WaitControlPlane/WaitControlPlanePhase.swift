import BootstrapWorkflow
import Foundation
import Glibc
import KubeCommand

/// `wait-control-plane`: kubeadm's `[kubelet-check]` and `[control-plane-check]` waits (1.30+: the apiserver, the
/// controller manager and the scheduler, each on its own health endpoint, all at once); on timeout, instead of
/// kubeadm's generic advice, it names what failed: the kubelet, the manifest it rejected, or the component's log.
enum WaitControlPlanePhase {
    struct Timeout: Error, CustomStringConvertible { let description: String }

    static func make<D: InitData>() -> Phase<D> {
        Phase(name: "wait-control-plane", short: "Wait for the control plane to start",
              inheritFlags: ["config", "node-name", "apiserver-advertise-address", "apiserver-bind-port", "dry-run",
                             "control-plane-mode", "root-prefix"],
              run: { (data: D) in try await run(data) })
    }

    static func kubeletHealthy(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return false }
        let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 && String(decoding: buffer[0..<n], as: UTF8.self).hasPrefix("HTTP/1.1 200")
    }


    /// Go's time.Duration.String(): 501.740516ms, 1.5s, 4m0.000221354s.
    static func format(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int(seconds * 1000))ms" }
        func trimmed(_ value: Double) -> String {
            var text = String(format: "%.9f", value)
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            return text
        }
        if seconds < 60 { return trimmed(seconds) + "s" }
        let minutes = Int(seconds) / 60
        return "\(minutes)m" + trimmed(seconds - Double(minutes * 60)) + "s"
    }

    static func run<D: InitData>(_ data: D) async throws {
        if data.options.dryRun {
            data.reporter.say("[wait-control-plane] Would wait for the kubelet and the control plane (dry run)")
            return
        }
        // kubeadm's v1beta4 timeouts (InitConfiguration.timeouts), 4m0s by default.
        let timeouts = data.settings.initConfiguration.timeouts
        let timeout = timeouts?.kubeletHealthCheck.map(\.seconds) ?? data.options.waitTimeout
        let controlPlaneTimeout = timeouts?.controlPlaneComponentHealthCheck.map(\.seconds) ?? data.options.waitTimeout
        func minutes(_ s: Double) -> String { "\(Int(s) / 60)m\(Int(s) % 60)s" }
        data.reporter.say("[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory \"\(data.paths.manifestsDir)\"")
        data.reporter.say("[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:\(data.paths.kubeletHealthzPort)/healthz. This can take up to \(minutes(timeout))")
        let start = Date()
        while !kubeletHealthy(port: data.paths.kubeletHealthzPort) {
            if Date().timeIntervalSince(start) > timeout {
                throw Timeout(description: "the kubelet is not healthy after \(Int(timeout))s.\n" + diagnoseKubelet(data))
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        data.reporter.say("[kubelet-check] The kubelet is healthy after \(format(Date().timeIntervalSince(start)))")
        data.reporter.say("[control-plane-check] Waiting for healthy control plane components. This can take up to \(minutes(controlPlaneTimeout))")
        try await ControlPlaneCheck.waitForAll(data, timeout: controlPlaneTimeout)
    }

    static func tail(_ path: String, lines: Int) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1).joined(separator: "\n")
    }

    static func diagnoseKubelet<D: InitData>(_ data: D) -> String {
        if KubeletLauncher.systemdIsInit {
            return "Look at 'systemctl status kubelet' and 'journalctl -xeu kubelet'."
        }
        let log = data.paths.kubeletLogFile
        return "The kubelet's log \(log) ends with:\n" + (tail(log, lines: 15) ?? "(no log)")
    }
}
