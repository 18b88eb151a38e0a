import Foundation
import KubeAPI
import KubeJSON
@testable import Kubelet
import Testing

@Suite struct PodStatusTests {
    func pod(_ restartPolicy: String = "Always") -> KubeletPod {
        var spec = PodSpec(containers: [Container(name: "web", image: "nginx", command: ["/bin/true"])])
        spec.restartPolicy = restartPolicy
        return KubeletPod(pod: Pod(metadata: ObjectMeta(name: "web-n1", namespace: "kube-system"), spec: spec),
                         uid: "0123456789abcdef0123456789abcdef", sourcePath: "/m/web.yaml")
    }

    func snapshot(_ state: ContainerState, ready: Bool = false, restarts: Int = 0,
                  last: ContainerStatusSnapshot.Termination? = nil) -> ContainerStatusSnapshot {
        ContainerStatusSnapshot(name: "web", state: state, restartCount: restarts, ready: ready, pid: 42, containerID: "abc",
                                image: "nginx", lastTermination: last, started: true)
    }

    @Test func runningAndReadyIsRunningWithReadyConditions() {
        var transitions: [String: (String, Date)] = [:]
        let status = PodStatusBuilder.build(.init(pod: pod(), initStatuses: [], statuses: [snapshot(.running(startedAt: Date()), ready: true)],
                                                  startTime: Date(), hostIP: "10.0.0.5"), transitions: &transitions)
        #expect(status["phase"]?.string == "Running")
        #expect(status["podIP"]?.string == "10.0.0.5")
        let ready = status["conditions"]?.array?.first { $0["type"]?.string == "Ready" }
        #expect(ready?["status"]?.string == "True")
        let container = status["containerStatuses"]?.array?.first
        #expect(container?["ready"]?.bool == true && container?["containerID"]?.string == "kubestrap://abc")
        #expect(container?[path: ["state", "running", "startedAt"]]?.string?.hasSuffix("Z") == true)
    }

    @Test func crashLoopShowsWaitingWithTheLastTermination() {
        var transitions: [String: (String, Date)] = [:]
        let last = ContainerStatusSnapshot.Termination(exitCode: 3, reason: "Error", startedAt: Date(), finishedAt: Date(), containerID: "abc")
        let waiting = snapshot(.waiting(reason: "CrashLoopBackOff", message: "back-off 10s restarting failed container"), restarts: 2, last: last)
        let status = PodStatusBuilder.build(.init(pod: pod(), initStatuses: [], statuses: [waiting], startTime: Date(), hostIP: "10.0.0.5"),
                                            transitions: &transitions)
        #expect(status["phase"]?.string == "Running")
        let container = status["containerStatuses"]?.array?.first
        #expect(container?[path: ["state", "waiting", "reason"]]?.string == "CrashLoopBackOff")
        #expect(container?[path: ["lastState", "terminated", "exitCode"]]?.int == 3)
        #expect(container?["restartCount"]?.int == 2)
        let ready = status["conditions"]?.array?.first { $0["type"]?.string == "Ready" }
        #expect(ready?["reason"]?.string == "ContainersNotReady")
    }

    @Test func finishedNeverPodsSucceedOrFail() {
        var transitions: [String: (String, Date)] = [:]
        let ok = PodStatusBuilder.build(.init(pod: pod("Never"), initStatuses: [],
                                              statuses: [snapshot(.terminated(exitCode: 0, reason: "Completed", finishedAt: Date()))],
                                              startTime: Date(), hostIP: "h"), transitions: &transitions)
        #expect(ok["phase"]?.string == "Succeeded")
        let failed = PodStatusBuilder.build(.init(pod: pod("Never"), initStatuses: [],
                                                  statuses: [snapshot(.terminated(exitCode: 1, reason: "Error", finishedAt: Date()))],
                                                  startTime: Date(), hostIP: "h"), transitions: &transitions)
        #expect(failed["phase"]?.string == "Failed")
    }
}

@Suite struct ContainerLogsTests {
    let lines = [
        "2026-11-25T08:00:00.000000001Z stdout F first line",
        "2026-11-25T08:00:01.000000001Z stderr P part one, ",
        "2026-11-25T08:00:01.000000002Z stderr F part two",
        "2026-11-25T08:00:02.000000001Z stdout F last line",
    ]

    func write() throws -> String {
        let dir = NSTemporaryDirectory() + "kubestrap-logs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/c", withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/c/0.log", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func rendersMessagesJoiningPartialLines() throws {
        let dir = try write()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = ContainerLogs.files(podLogDir: dir, container: "c", restartCount: 0)
        #expect(ContainerLogs.read(files, options: .init()) == "first line\npart one, part two\nlast line\n")
        var tail = ContainerLogs.Options()
        tail.tailLines = 1
        #expect(ContainerLogs.read(files, options: tail) == "last line\n")
        var stamps = ContainerLogs.Options()
        stamps.timestamps = true
        stamps.tailLines = 1
        #expect(ContainerLogs.read(files, options: stamps) == "2026-11-25T08:00:02.000000001Z last line\n")
        #expect(ContainerLogs.files(podLogDir: dir, container: "c", restartCount: 1).isEmpty)
    }
}
