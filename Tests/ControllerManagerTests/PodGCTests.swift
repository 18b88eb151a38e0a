import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeControllerManager
import Testing

@Suite struct PodGCTests {
    @Test func orphanedPodsGoAfterTheQuarantine() async throws {
        let h = LifecycleHarness([(.nodes, Fixtures.node("alive")),
                                  (.pods, Fixtures.pod("orphan", node: "gone")),
                                  (.pods, Fixtures.pod("kept", node: "alive")),
                                  (.pods, Fixtures.pod("unscheduled", phase: "Pending"))],
                                 component: "pod-garbage-collector")
        let start = h.clock.now()
        let task = h.start(PodGCController(context: h.context))
        var deletedAt = 0.0
        try await eventually("orphan deleted", advancing: h.clock, by: 5) {
            guard h.object(.pods, "default", "orphan") == nil else { return false }
            deletedAt = h.clock.now()
            return true
        }
        #expect(deletedAt - start >= 40, "deleted after \(deletedAt - start)s, inside the 40 s quarantine")
        #expect(h.client.actions.contains { $0.verb == "update" && $0.name == "orphan" && $0.subresource == "status" },
                "marked Failed with DeletionByPodGC before the delete")
        #expect(h.object(.pods, "default", "kept") != nil)
        #expect(h.object(.pods, "default", "unscheduled") != nil, "an unscheduled pod not being deleted stays")
        await h.stop(task)
    }

    @Test func terminatedPodsBeyondTheThresholdGoOldestFirst() async throws {
        var options = ControllerManagerOptions()
        options.terminatedPodGCThreshold = 1
        var objects: [(ResourceType, JSONValue)] = [(.nodes, Fixtures.node("n1"))]
        for (index, name) in ["oldest", "older", "newest"].enumerated() {
            var pod = Fixtures.pod(name, node: "n1", phase: "Succeeded")
            pod[path: ["metadata", "creationTimestamp"]] = .string("2026-05-28T20:0\(index):00Z")
            objects.append((.pods, pod))
        }
        objects.append((.pods, Fixtures.pod("running", node: "n1")))
        var terminating = Fixtures.pod("terminating-unscheduled", phase: "Pending")
        terminating[path: ["metadata", "deletionTimestamp"]] = "2026-05-28T20:20:00Z"
        objects.append((.pods, terminating))
        let h = LifecycleHarness(objects, options: options)
        let task = h.start(PodGCController(context: h.context))
        try await eventually("two terminated pods and the unscheduled terminating one deleted") {
            h.object(.pods, "default", "oldest") == nil && h.object(.pods, "default", "older") == nil
                && h.object(.pods, "default", "terminating-unscheduled") == nil
        }
        #expect(h.object(.pods, "default", "newest") != nil)
        #expect(h.object(.pods, "default", "running") != nil)
        await h.stop(task)
    }
}
