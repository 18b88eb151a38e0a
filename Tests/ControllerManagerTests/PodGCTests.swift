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
        objects.append((.pods, Self.terminating("terminating-unscheduled", node: nil)))
        let h = LifecycleHarness(objects, options: options)
        let task = h.start(PodGCController(context: h.context))
        try await eventually("two terminated pods deleted and the unscheduled terminating one asked to go") {
            h.object(.pods, "default", "oldest") == nil && h.object(.pods, "default", "older") == nil
                && Self.deleted(h, "terminating-unscheduled")
        }
        #expect(h.object(.pods, "default", "newest") != nil)
        #expect(h.object(.pods, "default", "running") != nil)
        await h.stop(task)
    }

    /// The pass reads indexes kept as pods change: a pod turning terminal after the start is counted, and pods being
    /// deleted on a NotReady node with the out-of-service taint go while the same on a Ready node stay.
    @Test func podsThatChangeAfterTheStartAreSeenAndOutOfServiceNodesAreCleared() async throws {
        var options = ControllerManagerOptions()
        options.terminatedPodGCThreshold = 1
        var down = Fixtures.node("down", ready: "False")
        down[path: ["spec", "taints"]] = [["key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"]]
        var first = Fixtures.pod("first-done", node: "up", phase: "Succeeded")
        first[path: ["metadata", "creationTimestamp"]] = "2026-05-28T20:00:00Z"
        var later = Fixtures.pod("later-done", node: "up")
        later[path: ["metadata", "creationTimestamp"]] = "2026-05-28T20:05:00Z"
        let h = LifecycleHarness([(.nodes, Fixtures.node("up")), (.nodes, down), (.pods, first), (.pods, later),
                                  (.pods, Self.terminating("stuck", node: "down")), (.pods, Self.terminating("healthy", node: "up"))],
                                 options: options)
        let task = h.start(PodGCController(context: h.context))
        try await eventually("the first pass over the caches") { Self.deleted(h, "stuck") }
        #expect(h.object(.pods, "default", "first-done") != nil, "one terminated pod is within the threshold")
        var done = try await h.client.get(.pods, namespace: "default", name: "later-done")
        done[path: ["status", "phase"]] = "Succeeded"
        _ = try await h.client.updateStatus(.pods, done)
        try await eventually("the oldest terminated pod deleted once a second one finished", advancing: h.clock, by: 5) {
            h.object(.pods, "default", "first-done") == nil
        }
        #expect(h.object(.pods, "default", "later-done") != nil, "one terminated pod is within the threshold")
        #expect(!Self.deleted(h, "healthy"), "a pod being deleted on a Ready node is its kubelet's")
        await h.stop(task)
    }

    /// A pod being deleted. The fake client has no graceful deletion, so a finalizer keeps it stored; the collector's
    /// force delete is then seen as an action.
    static func terminating(_ name: String, node: String?) -> JSONValue {
        var pod = Fixtures.pod(name, node: node, phase: node == nil ? "Pending" : "Running")
        pod[path: ["metadata", "deletionTimestamp"]] = "2026-05-28T20:20:00Z"
        pod[path: ["metadata", "finalizers"]] = ["example.com/hold"]
        return pod
    }

    static func deleted(_ h: LifecycleHarness, _ name: String) -> Bool {
        h.client.actions.contains { $0.verb == "delete" && $0.name == name }
    }
}
