import KubeClient
import KubeJSON
@testable import KubeScheduler
import Testing

/// `kubectl taint nodes --all node-role.kubernetes.io/control-plane-` on a single-node cluster: the pod the taint
/// kept Pending is placed (moved from the apiserver's tests when its in-process scheduler went).
@Suite struct TaintRemovalTests {
    @Test func removingTheTaintPlacesThePodItKeptPending() async throws {
        let h = try await Harness(objects: [(.nodes, Fixtures.node("cp", taints: [Fixtures.controlPlaneTaint])),
                                            (.pods, Fixtures.pod("web"))])
        try await eventually("web parked") { h.scheduler.queue.placeOf("default/web") == "unschedulable" }
        var node = try #require(h.fake.objects(.nodes).first)
        node[path: ["spec", "taints"]] = []
        _ = try await h.fake.update(.nodes, node)
        try await eventually("web moved") { h.scheduler.queue.placeOf("default/web") != "unschedulable" }
        try await h.advance(seconds: 1)
        try await eventually("web bound") { try h.nodeName("web") == "cp" }
        #expect(try h.scheduledCondition("web")?["status"] == "True")
        await h.stop()
    }
}
