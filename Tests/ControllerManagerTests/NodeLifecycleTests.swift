import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeControllerManager
import Testing

@Suite struct NodeLifecycleTests {
    static func lease(_ node: String, renew: String) -> JSONValue {
        ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
         "metadata": ["name": .string(node), "namespace": "kube-node-lease"],
         "spec": ["holderIdentity": .string(node), "leaseDurationSeconds": 40, "renewTime": .string(renew)]]
    }

    @Test func silentNodeGoesUnknownAndUnreachableAfterTheGracePeriodThenRecovers() async throws {
        // A second node that keeps renewing its lease: with every node down upstream evicts nothing (below).
        let h = LifecycleHarness([(.nodes, Fixtures.node("n0")), (.nodes, Fixtures.node("n1")),
                                  (.leases, Self.lease("n0", renew: "2026-05-28T20:26:40.000000Z")),
                                  (.leases, Self.lease("n1", renew: "2026-05-28T20:26:40.000000Z")),
                                  (.pods, Fixtures.pod("web", node: "n1", ip: "10.0.0.5"))],
                                 component: "node-controller")
        let start = h.clock.now()
        let task = h.start(NodeLifecycleController(context: h.context))
        var unknownAt = 0.0
        try await eventually("Ready Unknown", advancing: h.clock, by: 5) {
            try await Self.renew(h, "n0")
            guard Fixtures.condition(h.object(.nodes, nil, "n1"), "Ready")?["status"]?.string == "Unknown" else { return false }
            unknownAt = h.clock.now()
            return true
        }
        #expect(unknownAt - start > 50, "marked Unknown after \(unknownAt - start)s, before the 50 s grace period ran out")
        let node = h.object(.nodes, nil, "n1")
        for type in ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] {
            let condition = Fixtures.condition(node, type)
            #expect(condition?["status"]?.string == "Unknown", "\(type)")
        }
        #expect(Fixtures.condition(node, "Ready")?["reason"]?.string == "NodeStatusUnknown")
        #expect(Fixtures.condition(node, "Ready")?["message"]?.string == "Kubelet stopped posting node status.")
        #expect(Fixtures.condition(node, "DiskPressure")?["reason"]?.string == "NodeStatusNeverUpdated")
        try await eventually("unreachable taints") {
            let node = h.object(.nodes, nil, "n1")
            return Fixtures.hasTaint(node, "node.kubernetes.io/unreachable", "NoExecute")
                && Fixtures.hasTaint(node, "node.kubernetes.io/unreachable", "NoSchedule")
        }
        let taint = h.object(.nodes, nil, "n1")?[path: ["spec", "taints"]]?.array?.first { $0["effect"]?.string == "NoExecute" }
        #expect(taint?["timeAdded"]?.string != nil)
        try await eventually("pod marked not ready") {
            Fixtures.condition(h.object(.pods, "default", "web"), "Ready")?["status"]?.string == "False"
        }
        await h.recorder.flush()
        #expect(h.events(reason: "NodeNotReady").contains { $0[path: ["involvedObject", "kind"]]?.string == "Node"
            && $0["message"]?.string == "Node n1 status is now: NodeNotReady" })
        #expect(h.events(reason: "NodeNotReady").contains { $0[path: ["involvedObject", "kind"]]?.string == "Pod"
            && $0["type"]?.string == "Warning" && $0["message"]?.string == "Node is not ready" })
        #expect(h.events(reason: "RegisteredNode").count == 2)
        #expect(Fixtures.condition(h.object(.nodes, nil, "n0"), "Ready")?["status"]?.string == "True")

        // The kubelet is back: a fresh heartbeat and Ready.
        try await h.setStatus(.nodes, nil, "n1") { node in
            node[path: ["status", "conditions"]] = Fixtures.node("n1", heartbeat: h.clock.timestamp())[path: ["status", "conditions"]]
        }
        // NoExecute taints follow the monitor's next pass: time moves on with both kubelets renewing their leases.
        try await eventually("taints removed", advancing: h.clock, by: 1) {
            try await Self.renew(h, "n0")
            try await Self.renew(h, "n1")
            let node = h.object(.nodes, nil, "n1")
            return !Fixtures.hasTaint(node, "node.kubernetes.io/unreachable", "NoExecute")
                && !Fixtures.hasTaint(node, "node.kubernetes.io/unreachable", "NoSchedule")
        }
        #expect(Fixtures.condition(h.object(.nodes, nil, "n1"), "Ready")?["status"]?.string == "True")
        await h.stop(task)
    }

    static func renew(_ h: LifecycleHarness, _ node: String) async throws {
        var lease = try await h.client.get(.leases, namespace: "kube-node-lease", name: node)
        lease[path: ["spec", "renewTime"]] = .string(h.clock.microTimestamp())
        _ = try await h.client.update(.leases, lease)
    }

    @Test func withEveryNodeDownNoExecuteTaintsAreTakenOff() async throws {
        // A one-node cluster whose kubelet stops: the control plane may be the one cut off, so nothing is evicted
        // (upstream's master disruption mode), though the node is still kept from new pods.
        var node = Fixtures.node("solo")
        node[path: ["spec", "taints"]] = [["key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2026-05-28T20:00:00Z"]]
        let h = LifecycleHarness([(.nodes, node)])
        let task = h.start(NodeLifecycleController(context: h.context))
        try await eventually("unreachable:NoSchedule without NoExecute", advancing: h.clock, by: 5) {
            let node = h.object(.nodes, nil, "solo")
            return Fixtures.condition(node, "Ready")?["status"]?.string == "Unknown"
                && Fixtures.hasTaint(node, "node.kubernetes.io/unreachable", "NoSchedule")
                && !Fixtures.hasTaint(node, "node.kubernetes.io/unreachable", "NoExecute")
        }
        await h.stop(task)
    }

    @Test func nodesOfAZoneAreTaintedNoExecuteOnePerTenSeconds() async throws {
        let h = LifecycleHarness([(.nodes, Fixtures.node("healthy")), (.nodes, Fixtures.node("a")), (.nodes, Fixtures.node("b")),
                                  (.leases, Self.lease("healthy", renew: "2026-05-28T20:26:40.000000Z"))])
        let task = h.start(NodeLifecycleController(context: h.context))
        func timeAdded(_ name: String) -> Double? {
            h.object(.nodes, nil, name)?[path: ["spec", "taints"]]?.array?
                .first { $0["effect"]?.string == "NoExecute" }?["timeAdded"]?.string.flatMap { SystemClock.parse($0) }
        }
        try await eventually("both silent nodes tainted NoExecute", advancing: h.clock, by: 1) {
            try await Self.renew(h, "healthy")
            return timeAdded("a") != nil && timeAdded("b") != nil
        }
        let first = try #require(timeAdded("a")), second = try #require(timeAdded("b"))
        #expect(abs(first - second) >= 10, "tainted at \(first) and \(second)")
        #expect(timeAdded("healthy") == nil)
        await h.stop(task)
    }

    @Test func aRenewedLeaseKeepsANodeWithAStaleStatusHealthy() async throws {
        let h = LifecycleHarness([(.nodes, Fixtures.node("n1")),
                                  (.leases, Self.lease("n1", renew: "2026-05-28T20:26:40.000000Z"))])
        let start = h.clock.now()
        let task = h.start(NodeLifecycleController(context: h.context))
        try await eventually("two minutes of fake time with the lease renewed") {
            h.clock.advance(by: 5)
            try await Self.renew(h, "n1")
            // Each step waits for the monitor to be back asleep, so it saw the renewal before time moves on.
            try await eventually("monitor idle") { h.clock.sleepers > 0 }
            return h.clock.now() - start > 120
        }
        #expect(Fixtures.condition(h.object(.nodes, nil, "n1"), "Ready")?["status"]?.string == "True")
        #expect(!Fixtures.hasTaint(h.object(.nodes, nil, "n1"), "node.kubernetes.io/unreachable", "NoExecute"))
        await h.stop(task)
    }

    @Test func aNotReadyNodeGetsTheNotReadyTaints() async throws {
        var node = Fixtures.node("n2", ready: "False")
        node[path: ["spec", "unschedulable"]] = true
        let h = LifecycleHarness([(.nodes, node), (.nodes, Fixtures.node("healthy"))])
        let task = h.start(NodeLifecycleController(context: h.context))
        try await eventually("not-ready taints") {
            let node = h.object(.nodes, nil, "n2")
            return Fixtures.hasTaint(node, "node.kubernetes.io/not-ready", "NoExecute")
                && Fixtures.hasTaint(node, "node.kubernetes.io/not-ready", "NoSchedule")
                && Fixtures.hasTaint(node, "node.kubernetes.io/unschedulable", "NoSchedule")
        }
        #expect(!Fixtures.hasTaint(h.object(.nodes, nil, "n2"), "node.kubernetes.io/unreachable", "NoExecute"))
        await h.stop(task)
    }

    @Test func aNodeThatNeverPostedStatusGetsTheStartupGracePeriod() async throws {
        var node: JSONValue = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "new"]]
        node[path: ["metadata", "creationTimestamp"]] = "2026-05-28T20:26:40Z"
        let h = LifecycleHarness([(.nodes, node)])
        let start = h.clock.now()
        let task = h.start(NodeLifecycleController(context: h.context))
        var unknownAt = 0.0
        try await eventually("Ready Unknown", advancing: h.clock, by: 5) {
            guard Fixtures.condition(h.object(.nodes, nil, "new"), "Ready")?["status"]?.string == "Unknown" else { return false }
            unknownAt = h.clock.now()
            return true
        }
        #expect(unknownAt - start > 60)
        #expect(Fixtures.condition(h.object(.nodes, nil, "new"), "Ready")?["reason"]?.string == "NodeStatusNeverUpdated")
        #expect(Fixtures.condition(h.object(.nodes, nil, "new"), "Ready")?["message"]?.string == "Kubelet never posted node status.")
        await h.stop(task)
    }
}
