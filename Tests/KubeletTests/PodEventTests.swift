import Foundation
import Testing
@testable import Kubelet
import KubeClient
import KubeJSON

/// What the kubelet tells about API pods as core/v1 Events: a pod it cannot run gets a Warning Failed event once, and
/// an event repeated raises the count of the one written instead of adding another.
@Suite struct PodEventTests {
    @Test func aRejectedPodGetsOneFailedEventAndRepeatsAreCounted() async throws {
        let dir = try TempDir()
        let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                              "metadata": ["name": "nocmd", "namespace": "default", "uid": "uid-nocmd"],
                              "spec": ["nodeName": "n1", "containers": [["name": "web", "image": "nginx"]]]]
        let api = FakeClient([(.pods, pod)])
        let stored = try await api.get(.pods, namespace: "default", name: "nocmd")
        let reporter = APIPodStatusReporter(client: api, logger: testLogger)
        let mirrors = MirrorClient(client: api, nodeName: "n1", logger: testLogger, nodeUID: { "node-uid" })
        let recorder = EventRecorder(client: api, nodeName: "n1", mirrors: mirrors, apiPods: reporter, logger: testLogger)
        let settings = try KubeletSettings(configuration: KubeletConfiguration(), rootDir: "\(dir.path)/root", nodeName: "n1")
        let kubelet = Kubelet(settings: settings, logger: testLogger, hostname: "n1")

        // The kubelet has no container runtime: the pod would run as host processes, which need a command.
        let (run, _) = await reporter.update([stored.metaUID: stored])
        #expect(run.count == 1)
        await kubelet.sync(run)
        #expect(await !kubelet.isActive(stored.metaUID))
        for _ in 0..<3 {
            await reporter.sync([], kubelet: kubelet, hostIP: "10.0.0.1")
            for event in await reporter.takeEvents() { await recorder.record(event) }
            await recorder.flush()
        }
        var events = api.objects(.events, namespace: "default")
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event["type"] == "Warning" && event["reason"] == "Failed" && event["count"] == 1)
        #expect(event["message"]?.string?.hasPrefix("Error: spec.containers[0]: command or args is required") == true)
        #expect(event[path: ["involvedObject", "fieldPath"]] == "spec.containers{web}")
        #expect(event[path: ["involvedObject", "uid"]]?.string == stored.metaUID)
        let status = try await api.get(.pods, namespace: "default", name: "nocmd")
        #expect(status[path: ["status", "containerStatuses"]]?.array?.first?[path: ["state", "waiting", "reason"]] == "CreateContainerConfigError")

        // The same event again (a container whose ConfigMap is still missing): one Event, counted.
        let repeated = PodEvent(podUID: stored.metaUID, container: "web", type: "Warning", reason: "Failed", message: #"Error: configmap "x" not found"#)
        for _ in 0..<3 { await recorder.record(repeated) }
        await recorder.flush()
        events = api.objects(.events, namespace: "default").filter { $0["message"] == #"Error: configmap "x" not found"# }
        #expect(events.count == 1 && events.first?["count"] == 3)
        // An event about the pod itself has no fieldPath.
        await recorder.record(PodEvent(podUID: stored.metaUID, container: "", type: "Warning", reason: "InvalidEnvironmentVariableNames", message: "m"))
        await recorder.flush()
        let podLevel = api.objects(.events, namespace: "default").first { $0["reason"] == "InvalidEnvironmentVariableNames" }
        #expect(podLevel != nil && podLevel?[path: ["involvedObject", "fieldPath"]] == nil)
        await recorder.record(PodEvent(podUID: stored.metaUID, container: "setup", type: "Normal", reason: "Started", message: "s",
                                       initContainer: true))
        await recorder.flush()
        let initEvent = api.objects(.events, namespace: "default").first { $0["message"] == "s" }
        #expect(initEvent?[path: ["involvedObject", "fieldPath"]] == "spec.initContainers{setup}")
    }
}
