import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeScheduler
import Testing

/// DefaultPreemption: which pods go, which node is chosen, and what the API sees (upstream's conditions, events,
/// nominatedNodeName and messages).
@Suite struct PreemptionTests {
    var framework: Framework {
        PluginCatalog.framework(for: .init(), listers: .init(claims: ObjectCache(), volumes: ObjectCache(), classes: ObjectCache()))
    }

    func node(_ name: String, cpu: String = "2", pods: [JSONValue]) -> NodeInfo {
        var info = NodeInfo(name: name)
        info.setNode(Fixtures.node(name, cpu: cpu))
        for pod in pods {
            var bound = pod
            bound[path: ["spec", "nodeName"]] = .string(name)
            info.add(PodInfo(bound))
        }
        return info
    }

    func pod(_ name: String, cpu: String = "1", priority: Int64, labels: [String: String] = [:], startTime: String? = nil) -> JSONValue {
        var pod = Fixtures.pod(name, cpu: cpu, priority: priority)
        if !labels.isEmpty { pod[path: ["metadata", "labels"]] = JSONValue(labels) }
        if let startTime { pod[path: ["status", "startTime"]] = .string(startTime) }
        return pod
    }

    func exists(_ h: Harness, _ name: String) -> Bool {
        h.fake.objects(.pods, namespace: "default").contains { $0[path: ["metadata", "name"]]?.string == name }
    }

    /// "node: victims" or the failure message.
    func outcome(_ incoming: JSONValue, _ nodes: [NodeInfo], budgets: [JSONValue] = []) -> String {
        switch framework.schedule(PodInfo(incoming), nodes: nodes, budgets: { budgets }) {
        case .node(let name, _): return "fits \(name)"
        case .unschedulable(let error, _): return error.message
        case .preempt(_, let node, let victims): return "\(node): " + victims.map(\.name).joined(separator: ",")
        }
    }

    @Test func theLowestPriorityPodThatMakesRoomGoes() {
        let full = node("n1", pods: [pod("mid", priority: 5), pod("low", priority: 1)])
        #expect(outcome(pod("high", priority: 10), [full]) == "n1: low")
        // Both must go for a pod that needs the whole node; the more important is listed first.
        #expect(outcome(pod("huge", cpu: "2", priority: 10), [full]) == "n1: mid,low")
        // Equal priority is no victim: upstream's message for nodes without any.
        #expect(outcome(pod("peer", priority: 1), [node("n1", pods: [pod("a", cpu: "2", priority: 1)])])
            == "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
        // Evicting everything below would still not make room: the filter's own reason.
        #expect(outcome(pod("giant", cpu: "3", priority: 10), [full])
            == "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.")
        // A node no eviction can fix.
        var taintedInfo = NodeInfo(name: "t")
        taintedInfo.setNode(Fixtures.node("t", taints: [Fixtures.controlPlaneTaint]))
        #expect(outcome(pod("high", cpu: "3", priority: 10), [full, taintedInfo])
            == "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 Preemption is not helpful for scheduling.")
    }

    @Test func preemptionPolicyNeverDoesNotPreempt() {
        var polite = pod("polite", priority: 1000)
        polite[path: ["spec", "preemptionPolicy"]] = "Never"
        #expect(outcome(polite, [node("n1", pods: [pod("low", cpu: "2", priority: 1)])])
            == "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.")
    }

    @Test func candidatesAreRankedAsUpstream() {
        // A budget that allows no disruption: its pod's node is avoided while another has an unprotected victim.
        let budget: JSONValue = ["metadata": ["name": "db", "namespace": "default"],
                                 "spec": ["selector": ["matchLabels": ["app": "db"]]], "status": ["disruptionsAllowed": 0]]
        let protected = node("n1", pods: [pod("db-0", cpu: "2", priority: 1, labels: ["app": "db"])])
        let unprotected = node("n2", pods: [pod("batch", cpu: "2", priority: 5, labels: ["app": "batch"])])
        #expect(outcome(pod("high", priority: 10), [protected, unprotected], budgets: [budget]) == "n2: batch")
        // Without the budget the lower-priority victim is preferred.
        #expect(outcome(pod("high", priority: 10), [protected, unprotected]) == "n1: db-0")
        // When every candidate violates a budget, violating is still allowed.
        #expect(outcome(pod("high", priority: 10), [protected], budgets: [budget]) == "n1: db-0")
        // A budget with room, or one counting the pod as already disrupted, is not violated.
        var room = budget
        room[path: ["status", "disruptionsAllowed"]] = 1
        #expect(outcome(pod("high", priority: 10), [protected, unprotected], budgets: [room]) == "n1: db-0")
        var disrupted = budget
        disrupted[path: ["status", "disruptedPods"]] = ["db-0": "2026-01-01T00:00:00Z"]
        #expect(outcome(pod("high", priority: 10), [protected, unprotected], budgets: [disrupted]) == "n1: db-0")
        // An empty selector protects nothing.
        var empty = budget
        empty[path: ["spec", "selector"]] = [:]
        #expect(outcome(pod("high", priority: 10), [protected, unprotected], budgets: [empty]) == "n1: db-0")

        // Equal highest priority: the smaller sum, then fewer victims, then the later-started victims.
        let two = node("a", pods: [pod("a1", priority: 3), pod("a2", priority: 3)])
        #expect(outcome(pod("high", cpu: "1", priority: 10), [node("a", pods: [pod("a1", priority: 3), pod("a2", priority: 2)]),
                                                              node("b", cpu: "1", pods: [pod("b1", priority: 3)])]) == "a: a2")
        #expect(outcome(pod("high", cpu: "2", priority: 10), [two, node("b", pods: [pod("b1", cpu: "2", priority: 3)])]) == "b: b1")
        let older = node("old", cpu: "1", pods: [pod("o", priority: 3, startTime: "2026-01-01T00:00:00Z")])
        let newer = node("new", cpu: "1", pods: [pod("n", priority: 3, startTime: "2026-01-02T00:00:00Z")])
        #expect(outcome(pod("high", priority: 10), [older, newer]) == "new: n")
        #expect(outcome(pod("high", priority: 10), [newer, older]) == "new: n")
    }

    @Test func nominatedPodsKeepTheirRoom() {
        let free = node("n1", pods: [])
        var nominated = PodInfo(pod("preemptor", cpu: "2", priority: 10))
        nominated.nominatedNodeName = "n1"
        let lower = framework.schedule(PodInfo(pod("lower", priority: 1)), nodes: [free], nominated: ["n1": [nominated]])
        guard case .unschedulable(let error, _) = lower else {
            Issue.record("a lower-priority pod took the nominated pod's room")
            return
        }
        #expect(error.message.hasPrefix("0/1 nodes are available: 1 Insufficient cpu."))
        // The nominated pod itself, or one of higher priority, is not held back by it.
        if case .node = framework.schedule(nominated, nodes: [free], nominated: ["n1": [nominated]]) {} else { Issue.record("not placed") }
        if case .node = framework.schedule(PodInfo(pod("higher", priority: 20)), nodes: [free], nominated: ["n1": [nominated]]) {} else {
            Issue.record("higher priority held back")
        }
    }

    @Test func aHighPriorityPodPreemptsThroughTheAPI() async throws {
        var low = pod("low", priority: 1), mid = pod("mid", priority: 5)
        low[path: ["spec", "nodeName"]] = "n1"
        mid[path: ["spec", "nodeName"]] = "n1"
        let h = try await Harness(objects: [(.nodes, Fixtures.node("n1", cpu: "2")), (.pods, low), (.pods, mid)])
        _ = try await h.fake.create(.pods, pod("high", priority: 1000))
        try await eventually("low deleted") { !exists(h, "low") }
        try await eventually("nominated") { try h.pod("high")[path: ["status", "nominatedNodeName"]]?.string == "n1" }
        let uid = try h.pod("high")[path: ["metadata", "uid"]]?.string ?? ""
        #expect(try h.pod("mid")[path: ["spec", "nodeName"]] == "n1", "the more important pod stays")
        // The DisruptionTarget condition went on the victim before its delete.
        let actions = h.fake.actions
        let conditionAt = actions.firstIndex { $0.verb == "patch" && $0.subresource == "status" && $0.name == "low" } ?? Int.max
        let deleteAt = actions.firstIndex { $0.verb == "delete" && $0.name == "low" } ?? -1
        #expect(conditionAt < deleteAt, "\(actions)")
        let body = h.client.patches.first { $0.name == "low" && $0.subresource == "status" }?.body
        let condition = body?[path: ["status", "conditions"]]?.array?.first { $0["type"] == "DisruptionTarget" }
        #expect(condition?["reason"] == "PreemptionByScheduler" && condition?["status"] == "True")
        #expect(condition?["message"] == "default-scheduler: preempting to accommodate a higher priority pod")
        await h.scheduler.flushEvents()
        let preempted = h.events(for: "low").first { $0["reason"] == "Preempted" }
        #expect(preempted?["message"]?.string == "Preempted by pod \(uid) on node n1" && preempted?["type"] == "Normal")
        let failed = h.events(for: "high").first { $0["reason"] == "FailedScheduling" }
        #expect(failed?["message"]?.string == "0/1 nodes are available: 1 Insufficient cpu.")
        // The victim's delete moves the preemptor back; after its backoff it binds where it was nominated.
        try await eventually("high bound") {
            try await h.advance(seconds: 1)
            return try h.nodeName("high") == "n1"
        }
        await h.stop()
    }

    @Test func aBudgetSteersThePreemptionThroughTheAPI() async throws {
        var db = pod("db-0", cpu: "2", priority: 1, labels: ["app": "db"]), batch = pod("batch", cpu: "2", priority: 5)
        db[path: ["spec", "nodeName"]] = "n1"
        batch[path: ["spec", "nodeName"]] = "n2"
        let budget: JSONValue = ["apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": "db", "namespace": "default"],
                                 "spec": ["selector": ["matchLabels": ["app": "db"]]], "status": ["disruptionsAllowed": 0]]
        let h = try await Harness(objects: [(.nodes, Fixtures.node("n1", cpu: "2")), (.nodes, Fixtures.node("n2", cpu: "2")),
                                            (.pods, db), (.pods, batch), (.podDisruptionBudgets, budget)])
        #expect(await h.scheduler.auxiliaryInformers.waitForCacheSync())
        _ = try await h.fake.create(.pods, pod("high", priority: 1000))
        try await eventually("batch deleted") { !exists(h, "batch") }
        try await eventually("nominated") { try h.pod("high")[path: ["status", "nominatedNodeName"]]?.string == "n2" }
        #expect(try h.pod("db-0")[path: ["spec", "nodeName"]] == "n1")
        await h.stop()
    }

    @Test func neverAndNoVictimsMessagesThroughTheAPI() async throws {
        var low = pod("low", cpu: "2", priority: 1)
        low[path: ["spec", "nodeName"]] = "n1"
        var polite = pod("polite", priority: 1000)
        polite[path: ["spec", "preemptionPolicy"]] = "Never"
        let h = try await Harness(objects: [(.nodes, Fixtures.node("n1", cpu: "2")), (.pods, low), (.pods, polite),
                                            (.pods, pod("peer", priority: 1))])
        try await eventually("polite refused") {
            try h.scheduledCondition("polite")?["message"]?.string
                == "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
        }
        try await eventually("peer refused") {
            try h.scheduledCondition("peer")?["message"]?.string
                == "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
        }
        #expect(!h.fake.actions.contains { $0.verb == "delete" })
        #expect(try h.pod("polite")[path: ["status", "nominatedNodeName"]] == nil)
        await h.stop()
    }
}
