import CRIClient
import Foundation
import KubeJSON
import Testing
@testable import Kubelet

/// The container runtime's health as the Node's Ready condition tells it, and pods waiting for a runtime that does
/// not answer yet.
@Suite struct RuntimeStateTests {
    static func condition(_ type: String, _ ok: Bool, reason: String = "", message: String = "") -> Runtime_V1_RuntimeCondition {
        var c = Runtime_V1_RuntimeCondition()
        c.type = type
        c.status = ok
        c.reason = reason
        c.message = message
        return c
    }

    static func status(runtime: Bool = true, network: Bool = true) -> Runtime_V1_RuntimeStatus {
        var s = Runtime_V1_RuntimeStatus()
        s.conditions = [condition("RuntimeReady", runtime, reason: runtime ? "" : "ContainerdNotReady", message: runtime ? "" : "not yet"),
                        condition("NetworkReady", network, reason: network ? "" : "NetworkPluginNotReady",
                                  message: network ? "" : "Network plugin returns error: cni plugin not initialized")]
        return s
    }

    @Test func theReadyMessageFollowsUpstreamsRuntimeState() {
        let start = Date(timeIntervalSince1970: 1_000_000)
        var state = RuntimeState()
        #expect(state.problem(now: start) == "container runtime status check may not have completed yet")
        state.record(Self.status(), at: start)
        #expect(state.problem(now: start.addingTimeInterval(29)) == nil)
        #expect(state.problem(now: start.addingTimeInterval(30)) == "container runtime is down")

        state.record(Self.status(network: false), at: start.addingTimeInterval(40))
        #expect(state.problem(now: start.addingTimeInterval(41)) ==
            "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized")

        // A runtime not ready does not count as a sync: after 30 s it is also down, and both are told.
        state.record(Self.status(runtime: false, network: true), at: start.addingTimeInterval(50))
        #expect(state.problem(now: start.addingTimeInterval(51)) == "container runtime not ready: RuntimeReady=false reason:ContainerdNotReady message:not yet")
        #expect(state.problem(now: start.addingTimeInterval(71)) ==
            "[container runtime is down, container runtime not ready: RuntimeReady=false reason:ContainerdNotReady message:not yet]")

        var empty = RuntimeState()
        empty.record(Runtime_V1_RuntimeStatus(), at: start)
        #expect(empty.problem(now: start) == "[container runtime status check may not have completed yet, container runtime not ready: <nil>, container runtime network not ready: <nil>]")
    }

    @Test func podsOfAnAbsentRuntimeWaitForItWhileHostProcessPodsRun() async throws {
        let dir = try TempDir()
        var configuration = KubeletConfiguration()
        configuration.podLogsDir = "\(dir.path)/pods-logs"
        configuration.containerRuntimeEndpoint = "unix://\(dir.path)/absent.sock"
        let settings = try KubeletSettings(configuration: configuration, rootDir: "\(dir.path)/root", nodeName: "n1")
        let kubelet = Kubelet(settings: settings, logger: testLogger, hostname: "n1")
        await kubelet.updateRuntimeUp()
        #expect(await kubelet.runtimeProblem == "container runtime status check may not have completed yet")

        let web = try CRIRuntimeTests.apiPod(name: "web", uid: "uid-web", containers: CRIRuntimeTests.sleeper)
        var host = try CRIRuntimeTests.apiPod(name: "agent", uid: "uid-agent",
                                              containers: [["name": "main", "image": "busybox:1.36", "command": ["sleep", "3600"]]])
        host.pod.spec.runtimeClassName = "host-process"
        await kubelet.sync([web, host])
        #expect(await !kubelet.isActive("uid-web"), "a container pod must not run as host processes because the runtime is away")
        #expect(await kubelet.rejection(of: "uid-web") == nil)
        #expect(await kubelet.isActive("uid-agent"))

        // The runtime answers: the pod that waited starts in it.
        let fake = FakeRuntimeService()
        await kubelet.use(runtime: CRIRuntimeTests().runtime(fake))
        await kubelet.updateRuntimeUp()
        #expect(await kubelet.runtimeProblem == nil)
        await kubelet.sync([web, host])
        #expect(await kubelet.isActive("uid-web"))
        #expect(await eventually { await fake.containers(named: "main").first?.status.state == .containerRunning })
        await kubelet.stopAllPods()
    }
}
