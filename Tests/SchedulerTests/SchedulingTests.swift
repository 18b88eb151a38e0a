import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeScheduler
import Testing

/// The scheduler against a fake API: binding, upstream's failure messages, and when unschedulable pods come back.
@Suite struct SchedulingTests {
    @Test func bindsAPodToTheNodeItFits() async throws {
        let h = try await Harness(objects: [(.nodes, Fixtures.node("small", cpu: "1")), (.nodes, Fixtures.node("big", cpu: "4")),
                                            (.pods, Fixtures.pod("web", cpu: "1500m"))])
        try await eventually("web bound") { try h.nodeName("web") == "big" }
        #expect(h.client.bindingRequests == ["default/web → big"])
        await h.scheduler.flushEvents()
        let scheduled = h.events(for: "web").first { $0["reason"] == "Scheduled" }
        #expect(scheduled?["message"]?.string == "Successfully assigned default/web to big")
        #expect(scheduled?[path: ["source", "component"]] == "default-scheduler")
        #expect(scheduled?[path: ["involvedObject", "kind"]] == "Pod")
        await h.stop()
    }

    @Test func aTaintedNodeGivesUpstreamsMessage() async throws {
        let h = try await Harness(objects: [(.nodes, Fixtures.node("cp", taints: [Fixtures.controlPlaneTaint])),
                                            (.pods, Fixtures.pod("web"))])
        let expected = "0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
        try await eventually("PodScheduled=False") { try h.scheduledCondition("web")?["message"]?.string == expected }
        let condition = try #require(try h.scheduledCondition("web"))
        #expect(condition["status"] == "False" && condition["reason"] == "Unschedulable")
        #expect(h.fake.actions.contains { $0.verb == "patch" && $0.resource == "pods" && $0.subresource == "status" })
        await h.scheduler.flushEvents()
        let failed = h.events(for: "web").first { $0["reason"] == "FailedScheduling" }
        #expect(failed?["message"]?.string == expected && failed?["type"] == "Warning")
        #expect(failed?[path: ["source", "component"]] == "default-scheduler")
        #expect(try h.nodeName("web") == "")
        await h.stop()
    }

    @Test func anUnschedulablePodWaitsForANodeAndNotLonger() async throws {
        let h = try await Harness(objects: [(.nodes, Fixtures.node("cp", taints: [Fixtures.controlPlaneTaint])),
                                            (.pods, Fixtures.pod("web"))])
        try await eventually("web parked") { h.scheduler.queue.placeOf("default/web") == "unschedulable" }
        try await eventually("status written") { try h.scheduledCondition("web")?["reason"] == "Unschedulable" }
        await h.scheduler.flushEvents()
        let writes = h.fake.actions.count
        // A minute with nothing changing but the node's heartbeat: no attempt (no event, no status write).
        var heartbeat = try #require(h.fake.objects(.nodes).first)
        heartbeat[path: ["status", "conditions"]] = [["type": "Ready", "status": "True", "lastHeartbeatTime": "2026-01-01T00:01:00Z"]]
        _ = try await h.fake.updateStatus(.nodes, heartbeat)
        try await h.advance(seconds: 60)
        await h.scheduler.flushEvents()
        #expect(h.scheduler.queue.placeOf("default/web") == "unschedulable")
        #expect(h.fake.actions.count == writes + 1, "only the heartbeat was written: \(h.fake.actions.suffix(4))")

        _ = try await h.fake.create(.nodes, Fixtures.node("worker"))
        try await eventually("web bound to the new node") { try h.nodeName("web") == "worker" }
        await h.stop()
    }

    @Test func unschedulablePodsAreRetriedAfterFiveMinutes() async throws {
        let h = try await Harness(objects: [(.nodes, Fixtures.node("cp", taints: [Fixtures.controlPlaneTaint])),
                                            (.pods, Fixtures.pod("web"))])
        try await eventually("web parked") { h.scheduler.queue.placeOf("default/web") == "unschedulable" }
        await h.scheduler.flushEvents()
        let failed = { h.events(for: "web").first { $0["reason"] == "FailedScheduling" }?["count"]?.int ?? 0 }
        #expect(failed() == 1)
        try await h.advance(seconds: 290)
        await h.scheduler.flushEvents()
        #expect(failed() == 1, "not retried before the five minutes")
        try await h.advance(seconds: 15)
        try await eventually("a second attempt") {
            await h.scheduler.flushEvents()
            return failed() == 2
        }
        try await eventually("parked again") { h.scheduler.queue.placeOf("default/web") == "unschedulable" }
        await h.stop()
    }

    @Test func twoPodsDoNotShareTheRoomForOne() async throws {
        let h = try await Harness(objects: [(.nodes, Fixtures.node("n1", cpu: "1"))])
        h.client.holdBindings()
        _ = try await h.fake.create(.pods, namespace: "default", Fixtures.pod("a", cpu: "600m"))
        try await eventually("a assumed") { h.client.bindingRequests.count == 1 }
        _ = try await h.fake.create(.pods, namespace: "default", Fixtures.pod("b", cpu: "600m"))
        // The watch has not shown a bound: only the assumption keeps b off the node.
        try await eventually("b rejected") {
            try h.scheduledCondition("b")?["message"]?.string?.hasPrefix("0/1 nodes are available: 1 Insufficient cpu.") == true
        }
        #expect(try h.nodeName("a") == "")
        h.client.releaseBindings()
        try await eventually("a bound") { try h.nodeName("a") == "n1" }
        #expect(h.client.bindingRequests == ["default/a → n1"])
        #expect(try h.nodeName("b") == "")
        await h.stop()
    }

    @Test func aFailedBindingIsForgottenAndRetriedAfterTheBackoff() async throws {
        let h = try await Harness(objects: [(.nodes, Fixtures.node("n1", cpu: "1"))])
        h.client.holdBindings()
        _ = try await h.fake.create(.pods, namespace: "default", Fixtures.pod("a", cpu: "600m"))
        try await eventually("a assumed") { h.client.bindingRequests.count == 1 }
        #expect(h.scheduler.cache.node("n1")?.requested.milliCPU == 600, "assumed onto n1")
        h.fake.failNext("create", .pods, with: APIError(code: 500, reason: "InternalError", message: "etcd is sad"))
        h.client.releaseBindings()
        try await eventually("a backing off") { h.scheduler.queue.placeOf("default/a") == "backoff" }
        #expect(h.scheduler.cache.node("n1")?.requested.milliCPU == 0, "the assumption was forgotten")
        #expect(try h.nodeName("a") == "")
        try await h.advance(seconds: 1)
        try await eventually("a bound") { try h.nodeName("a") == "n1" }
        #expect(h.client.bindingRequests == ["default/a → n1", "default/a → n1"])
        await h.scheduler.flushEvents()
        #expect(h.events(for: "a").contains { $0["reason"] == "FailedScheduling" && $0["message"]?.string?.hasPrefix("Binding rejected: ") == true })
        await h.stop()
    }

    @Test func nodeSelectorPicksTheLabelledNode() async throws {
        let h = try await Harness(objects: [(.nodes, Fixtures.node("plain")), (.nodes, Fixtures.node("fast", labels: ["disk": "ssd"])),
                                            (.pods, Fixtures.pod("fits", selector: ["disk": "ssd"])),
                                            (.pods, Fixtures.pod("picky", selector: ["disk": "hdd"]))])
        try await eventually("fits bound") { try h.nodeName("fits") == "fast" }
        let expected = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        try await eventually("picky rejected") { try h.scheduledCondition("picky")?["message"]?.string == expected }
        // Labelling a node is an update that can help: picky moves and fits.
        var node = try #require(h.fake.objects(.nodes).first { $0[path: ["metadata", "name"]] == "plain" })
        node[path: ["metadata", "labels"]] = ["disk": "hdd"]
        _ = try await h.fake.update(.nodes, node)
        try await eventually("picky backing off") { h.scheduler.queue.placeOf("default/picky") == "backoff" }
        try await h.advance(seconds: 1)
        try await eventually("picky bound") { try h.nodeName("picky") == "plain" }
        await h.stop()
    }

    @Test func podsForAnotherSchedulerAreLeftAlone() async throws {
        var configuration = SchedulerConfiguration()
        configuration.profiles = [.init(schedulerName: "default-scheduler"), .init(schedulerName: "gpu-scheduler")]
        let h = try await Harness(objects: [(.nodes, Fixtures.node("n1")),
                                            (.pods, Fixtures.pod("theirs", schedulerName: "other-scheduler")),
                                            (.pods, Fixtures.pod("mine", schedulerName: "gpu-scheduler"))],
                                  configuration: configuration)
        try await eventually("mine bound") { try h.nodeName("mine") == "n1" }
        await h.scheduler.flushEvents()
        #expect(h.events(for: "mine").first { $0["reason"] == "Scheduled" }?[path: ["source", "component"]] == "gpu-scheduler")
        #expect(try h.nodeName("theirs") == "")
        #expect(h.scheduler.queue.placeOf("default/theirs") == nil)
        await h.stop()
    }

    @Test func aDeletedPodFreesItsRoom() async throws {
        let h = try await Harness(objects: [(.nodes, Fixtures.node("n1", cpu: "1")), (.pods, Fixtures.pod("a", cpu: "600m"))])
        try await eventually("a bound") { try h.nodeName("a") == "n1" }
        _ = try await h.fake.create(.pods, namespace: "default", Fixtures.pod("b", cpu: "600m"))
        try await eventually("b parked") { h.scheduler.queue.placeOf("default/b") == "unschedulable" }
        try await h.fake.delete(.pods, namespace: "default", name: "a")
        // b moves at once but failed a moment ago: it waits out its 1 s backoff first.
        try await eventually("b backing off") { h.scheduler.queue.placeOf("default/b") == "backoff" }
        try await h.advance(seconds: 1)
        try await eventually("b bound") { try h.nodeName("b") == "n1" }
        await h.stop()
    }

    @Test func manyUnschedulablePodsStayQuiet() async throws {
        var objects: [(ResourceType, JSONValue)] = [(.nodes, Fixtures.node("cp", taints: [Fixtures.controlPlaneTaint]))]
        for i in 0..<300 { objects.append((.pods, Fixtures.pod("p\(i)"))) }
        let h = try await Harness(objects: objects)
        try await eventually("all parked") { h.scheduler.queue.counts == .init(active: 0, backoff: 0, unschedulable: 300) }
        await h.scheduler.flushEvents()
        try await eventually("status written") { h.fake.actions.filter { $0.subresource == "status" }.count == 300 }
        let writes = h.fake.actions.count
        // A bound pod elsewhere changing status and a label on an unrelated resource move nothing.
        try await h.advance(seconds: 120)
        await h.scheduler.flushEvents()
        #expect(h.fake.actions.count == writes)
        #expect(h.scheduler.queue.counts == .init(active: 0, backoff: 0, unschedulable: 300))
        await h.stop()
    }
}
