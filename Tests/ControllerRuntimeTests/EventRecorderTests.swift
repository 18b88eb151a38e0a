import ControllerRuntime
import KubeClient
import KubeJSON
import Testing

@Suite struct EventRecorderTests {
    @Test func repeatsRaiseTheCountOfOneEvent() async throws {
        let fake = FakeClient()
        let recorder = EventRecorder(component: "deployment-controller", client: fake, clock: FakeClock(), logger: quietLogger)
        var deployment: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "demo", "uid": "u1"]]
        recorder.event(deployment, reason: "ScalingReplicaSet", message: "Scaled up replica set web-1 from 0 to 3")
        recorder.event(deployment, reason: "ScalingReplicaSet", message: "Scaled up replica set web-1 from 0 to 3")
        deployment[path: ["metadata", "resourceVersion"]] = "7"
        recorder.event(deployment, type: "Warning", reason: "FailedCreate", message: "quota")
        await recorder.flush()
        let events = fake.objects(.events, namespace: "demo")
        #expect(events.count == 2)
        let scaling = try #require(events.first { $0["reason"] == "ScalingReplicaSet" })
        #expect(scaling["count"] == 2)
        #expect(scaling[path: ["source", "component"]] == "deployment-controller")
        #expect(scaling[path: ["involvedObject", "kind"]] == "Deployment")
        #expect(scaling.metaName.hasPrefix("web."))
        #expect(events.contains { $0["type"] == "Warning" && $0["count"] == 1 })
        recorder.stop()
    }
}
