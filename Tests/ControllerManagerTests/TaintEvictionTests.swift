import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeControllerManager
import Testing

@Suite struct TaintEvictionTests {
    static func taintedNode(_ name: String) -> JSONValue {
        var node = Fixtures.node(name, ready: "Unknown")
        node[path: ["spec", "taints"]] = [["key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
                                           "timeAdded": "2026-05-28T20:26:40Z"],
                                          ["key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"]]
        return node
    }

    static func toleration(seconds: Int64?) -> JSONValue {
        var toleration: JSONValue = ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"]
        if let seconds { toleration["tolerationSeconds"] = .int(seconds) }
        return toleration
    }

    @Test func podsAreEvictedWhenTheirTolerationRunsOut() async throws {
        let h = LifecycleHarness([(.nodes, Self.taintedNode("n1")),
                                  (.pods, Fixtures.pod("patient", node: "n1", tolerations: [Self.toleration(seconds: 300)])),
                                  (.pods, Fixtures.pod("intolerant", node: "n1")),
                                  (.pods, Fixtures.pod("forever", node: "n1", tolerations: [Self.toleration(seconds: nil)])),
                                  (.pods, Fixtures.pod("elsewhere", node: "n2"))],
                                 component: "taint-eviction-controller")
        let start = h.clock.now()
        let task = h.start(TaintEvictionController(context: h.context))
        try await eventually("the pod without a toleration deleted") { h.object(.pods, "default", "intolerant") == nil }
        #expect(h.object(.pods, "default", "patient") != nil)
        #expect(h.client.actions.contains { $0.verb == "update" && $0.name == "intolerant" && $0.subresource == "status" },
                "the DisruptionTarget condition is written before the delete")

        var evictedAt = 0.0
        try await eventually("the tolerating pod deleted", advancing: h.clock, by: 10) {
            guard h.object(.pods, "default", "patient") == nil else { return false }
            evictedAt = h.clock.now()
            return true
        }
        #expect(evictedAt - start >= 300, "evicted after \(evictedAt - start)s of a 300 s toleration")
        #expect(h.object(.pods, "default", "forever") != nil)
        #expect(h.object(.pods, "default", "elsewhere") != nil)
        await h.recorder.flush()
        #expect(h.events(reason: "TaintManagerEviction").contains { $0["message"]?.string == "Marking for deletion Pod default/patient" })
        await h.stop(task)
    }

    @Test func aNodeThatLosesItsTaintSparesThePod() async throws {
        let h = LifecycleHarness([(.nodes, Self.taintedNode("n1")),
                                  (.pods, Fixtures.pod("patient", node: "n1", tolerations: [Self.toleration(seconds: 60)]))])
        let task = h.start(TaintEvictionController(context: h.context))
        try await eventually("the eviction scheduled") { h.clock.sleepers > 0 }
        var node = try await h.client.get(.nodes, name: "n1")
        node[path: ["spec", "taints"]] = nil
        _ = try await h.client.update(.nodes, node)
        await h.recorder.flush()
        try await eventually("the eviction cancelled") {
            await h.recorder.flush()
            return h.events(reason: "TaintManagerEviction").contains { $0["message"]?.string == "Cancelling deletion of Pod default/patient" }
        }
        h.clock.advance(by: 120)
        // Nothing is pending any more; the pod stays however long we wait on the fake clock.
        for _ in 0..<5 { h.clock.advance(by: 60); try await Task.sleep(for: .milliseconds(20)) }
        #expect(h.object(.pods, "default", "patient") != nil)
        await h.stop(task)
    }
}
