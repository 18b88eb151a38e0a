import Testing
import Foundation
@testable import Kubelet
import KubeAPI

/// Runs the real kubelet loop on temp dirs with real processes (`/bin/sh`), polling for outcomes.
@Suite(.serialized) struct KubeletIntegrationTests {
    func settings(_ dir: borrowing TempDir) throws -> KubeletSettings {
        var config = KubeletConfiguration()
        config.staticPodPath = "\(dir.path)/manifests"
        config.podLogsDir = "\(dir.path)/log/pods"
        try FileManager.default.createDirectory(atPath: "\(dir.path)/manifests", withIntermediateDirectories: true)
        return try KubeletSettings(configuration: config, rootDir: "\(dir.path)/root", nodeName: "n1")
    }

    /// A kubelet running its loop on `settings`; cancel the task to let it go (pods keep running).
    func start(_ settings: KubeletSettings) -> (Kubelet, Task<Void, Never>) {
        let kubelet = Kubelet(settings: settings, logger: testLogger, hostname: "n1")
        return (kubelet, Task { await kubelet.run() })
    }

    func mainPid(_ kubelet: Kubelet, pod: String) async -> Int32? {
        await kubelet.podStatuses()[pod]?.first?.pid
    }

    func logLines(_ dir: borrowing TempDir, pod: String) -> [String] {
        let root = "\(dir.path)/log/pods"
        guard let podDir = (try? FileManager.default.contentsOfDirectory(atPath: root))?.first(where: { $0.hasPrefix("default_\(pod)_") }),
              let text = try? String(contentsOfFile: "\(root)/\(podDir)/main/0.log", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }

    @Test func runsRestartsReplacesAndStopsAPod() async throws {
        let dir = try TempDir()
        let settings = try settings(dir)
        try dir.write("manifests/loop.yaml", podYAML(name: "loop", script: "echo hello; echo oops >&2; while true; do sleep 0.1; done"))
        let (kubelet, run) = start(settings)
        defer { run.cancel() }

        // Runs, with CRI-format logs at the upstream path and the /var/log/containers-style symlink.
        #expect(await eventually { logLines(dir, pod: "loop-n1").count >= 2 })
        let lines = logLines(dir, pod: "loop-n1")
        #expect(lines.contains { $0.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z stdout F hello$"#, options: .regularExpression) != nil })
        #expect(lines.contains { $0.hasSuffix(" stderr F oops") })
        let links = try FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/log/containers")
        #expect(links.contains { $0.hasPrefix("loop-n1_default_main-") && $0.hasSuffix(".log") })

        // kill -9: restarted at once (the first restart is not delayed).
        let first = try #require(await mainPid(kubelet, pod: "loop-n1_default"))
        kill(first, SIGKILL)
        #expect(await eventually { await mainPid(kubelet, pod: "loop-n1_default").map { $0 != first } ?? false })
        #expect(await kubelet.podStatuses()["loop-n1_default"]?.first?.restartCount == 1)

        // A changed manifest is a new pod: the old process goes, a new one with the new command comes.
        let second = try #require(await mainPid(kubelet, pod: "loop-n1_default"))
        try dir.write("manifests/loop.yaml", podYAML(name: "loop", script: "echo changed; while true; do sleep 0.1; done"))
        #expect(await eventually { !processExists(second) })
        #expect(await eventually { (await mainPid(kubelet, pod: "loop-n1_default")).map { $0 != second && processExists($0) } ?? false })

        // Removing the manifest stops the pod.
        let third = try #require(await mainPid(kubelet, pod: "loop-n1_default"))
        try FileManager.default.removeItem(atPath: "\(dir.path)/manifests/loop.yaml")
        #expect(await eventually { !processExists(third) })
        #expect(await eventually { await kubelet.podStatuses().isEmpty })
    }

    @Test func processIgnoringSIGTERMIsKilledAfterTheGracePeriod() async throws {
        let dir = try TempDir()
        let settings = try settings(dir)
        try dir.write("manifests/stubborn.yaml", podYAML(name: "stubborn", script: "trap '' TERM; while true; do sleep 0.1; done"))
        let (kubelet, run) = start(settings)
        defer { run.cancel() }
        #expect(await eventually { await mainPid(kubelet, pod: "stubborn-n1_default") != nil })
        let pid = try #require(await mainPid(kubelet, pod: "stubborn-n1_default"))
        let removed = Date()
        try FileManager.default.removeItem(atPath: "\(dir.path)/manifests/stubborn.yaml")
        #expect(await eventually { !processExists(pid) })
        let took = Date().timeIntervalSince(removed)
        #expect(took >= 1.5, "SIGTERM was ignored, so only SIGKILL after the 2 s grace period ends it (took \(took)s)")
    }

    @Test func restartedKubeletReadoptsRunningContainers() async throws {
        let dir = try TempDir()
        let settings = try settings(dir)
        try dir.write("manifests/keep.yaml", podYAML(name: "keep", script: "while true; do echo tick; sleep 0.05; done"))
        let (first, run1) = start(settings)
        #expect(await eventually { await mainPid(first, pod: "keep-n1_default") != nil })
        let pid = try #require(await mainPid(first, pod: "keep-n1_default"))
        run1.cancel()   // the kubelet goes away without stopping its pods

        let (second, run2) = start(settings)
        defer { run2.cancel() }
        #expect(await eventually { await mainPid(second, pod: "keep-n1_default") != nil })
        #expect(await mainPid(second, pod: "keep-n1_default") == pid)
        let before = logLines(dir, pod: "keep-n1").count
        #expect(await eventually { logLines(dir, pod: "keep-n1").count > before + 3 }, "logging continues after re-adoption")
        await second.stopAllPods()
        #expect(await eventually { !processExists(pid) })
    }

    @Test func badFilesAreSkippedWhileOtherPodsRun() async throws {
        let dir = try TempDir()
        let settings = try settings(dir)
        try dir.write("manifests/good.yaml", podYAML(name: "good", script: "while true; do sleep 0.1; done"))
        try dir.write("manifests/bad.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n")
        try dir.write("manifests/good.yaml.bak", podYAML(name: "good", script: "echo I am the backup"))
        try dir.write("manifests/.hidden.yaml", podYAML(name: "hidden", script: "sleep 100"))
        let (kubelet, run) = start(settings)
        defer { run.cancel() }
        #expect(await eventually { await mainPid(kubelet, pod: "good-n1_default") != nil })
        let statuses = await kubelet.podStatuses()
        #expect(Set(statuses.keys) == ["good-n1_default"])
        await kubelet.stopAllPods()
    }
}

@Suite struct HealthAndProbeTests {
    @Test func healthzAnswersOkAndProbesSeeIt() async throws {
        let server = try await HealthzServer.start(host: "127.0.0.1", port: 0)
        let port = try #require(server.port)
        let prober = Prober()
        let ok = await prober.run(Probe(httpGet: HTTPGetAction(path: "/healthz", port: .int(port), host: "127.0.0.1", scheme: "HTTP")), timeout: 2)
        #expect(ok == .success)
        let missing = await prober.run(Probe(httpGet: HTTPGetAction(path: "/nope", port: .int(port), host: "127.0.0.1", scheme: "HTTP")), timeout: 2)
        #expect(missing == .failure("HTTP probe failed with statuscode: 404"))
        #expect(await prober.run(Probe(tcpSocket: TCPSocketAction(port: .int(port), host: "127.0.0.1")), timeout: 2) == .success)
        await server.close()
        // Polled: the listening socket may take a moment to go, and another test may briefly hold the same port.
        #expect(await eventually(within: 30) {
            if case .success = await prober.run(Probe(tcpSocket: TCPSocketAction(port: .int(port), host: "127.0.0.1")), timeout: 1) {
                return false
            }
            return true
        }, "a closed port must fail the tcpSocket probe")
    }

    @Test func execProbesUseTheExitCodeAndTimeout() async {
        let prober = Prober()
        #expect(await prober.run(Probe(exec: ExecAction(command: ["/bin/true"])), timeout: 2) == .success)
        if case .success = await prober.run(Probe(exec: ExecAction(command: ["/bin/false"])), timeout: 2) { Issue.record("false must fail") }
        let slow = await prober.run(Probe(exec: ExecAction(command: ["/bin/sleep", "5"])), timeout: 0.3)
        #expect(slow == .failure("command timed out after 0.3s"))
    }
}
