import Foundation
import Glibc
import KubeadmAPI
import KubestrapTesting
import Testing
@testable import BootstrapPhases

/// wait-control-plane's control-plane-check: which components it waits for and how it names the one that fails.
/// Ports are the sandbox's own closed ones, never the host's 6443/10257/10259.
@Suite struct ControlPlaneCheckTests {
    /// A loopback port nothing listens on: bound once by the kernel's choice, then closed.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func data(_ sandbox: borrowing Sandbox, output: CapturedOutput) throws -> InitRunData {
        var overrides = FlagOverrides()
        overrides.advertiseAddress = "127.0.0.1"
        overrides.bindPort = try Self.closedPort()
        let settings = try InitSettings.resolve(file: nil, flags: overrides, host: fixedHost)
        var paths = InitPaths(root: sandbox.root)
        paths.controllerManagerPort = try Self.closedPort()
        paths.schedulerPort = try Self.closedPort()
        return InitRunData(settings: settings, kubeconfigDir: sandbox.root + "/etc/kubernetes", reporter: Reporter(sink: output), paths: paths)
    }

    @Test func waitsForTheComponentsWhoseManifestsWereWritten() throws {
        let sandbox = try Sandbox()
        let data = try data(sandbox, output: CapturedOutput())
        #expect(ControlPlaneCheck.components(data) == [.apiServer])
        try FileManager.default.createDirectory(atPath: data.paths.manifestsDir, withIntermediateDirectories: true)
        for file in ["kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"] {
            try sandbox.write("etc/kubernetes/manifests/" + file, "kind: Pod\n")
        }
        #expect(ControlPlaneCheck.components(data) == [.apiServer, .controllerManager, .scheduler])
        #expect(ControlPlaneCheck.url(.apiServer, data) == "https://127.0.0.1:\(data.settings.bindPort)/livez")
        #expect(ControlPlaneCheck.url(.controllerManager, data) == "https://127.0.0.1:\(data.paths.controllerManagerPort)/healthz")
        #expect(ControlPlaneCheck.url(.scheduler, data) == "https://127.0.0.1:\(data.paths.schedulerPort)/livez")
    }

    @Test func aComponentThatNeverAnswersIsNamed() async throws {
        let sandbox = try Sandbox()
        let output = CapturedOutput()
        let data = try data(sandbox, output: output)
        try FileManager.default.createDirectory(atPath: data.paths.manifestsDir, withIntermediateDirectories: true)
        try sandbox.write("etc/kubernetes/manifests/kube-controller-manager.yaml", "kind: Pod\n")
        try sandbox.write("etc/kubernetes/manifests/kube-scheduler.yaml", "kind: Pod\n")
        let error = await #expect(throws: WaitControlPlanePhase.Timeout.self) {
            try await ControlPlaneCheck.waitForAll(data, timeout: 0.3)
        }
        let out = output.stdout
        let kcm = "https://127.0.0.1:\(data.paths.controllerManagerPort)/healthz"
        let scheduler = "https://127.0.0.1:\(data.paths.schedulerPort)/livez"
        #expect(out.contains("[control-plane-check] Checking kube-controller-manager at \(kcm)\n"))
        #expect(out.contains("[control-plane-check] Checking kube-scheduler at \(scheduler)\n"))
        #expect(out.contains("[control-plane-check] kube-scheduler is not healthy after "))
        #expect(out.contains("[control-plane-check] kube-controller-manager is not healthy after "))
        let message = error?.description ?? ""
        #expect(message.contains("kube-controller-manager check failed at \(kcm): "))
        #expect(message.contains("kube-scheduler check failed at \(scheduler): "))
        #expect(!message.contains("kube-apiserver"))
    }

    @Test func durationsReadLikeGos() {
        #expect(WaitControlPlanePhase.format(0.5017) == "501ms")
        #expect(WaitControlPlanePhase.format(1.5) == "1.5s")
        #expect(WaitControlPlanePhase.format(240.000221354) == "4m0.000221354s")
        #expect(WaitControlPlanePhase.format(2) == "2s")
    }
}
