import ControllerRuntime
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Testing

/// The daemonset controller on a fake API: one pod per eligible node, placed by affinity for the scheduler.
@Suite struct DaemonSetControllerTests {
    static func node(_ name: String, labels: [String: String] = [:], taints: [JSONValue] = []) -> JSONValue {
        ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })],
         "spec": ["taints": .array(taints)]]
    }

    static let daemonSet: JSONValue = [
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": "agent", "namespace": "default"],
        "spec": ["selector": ["matchLabels": ["app": "agent"]],
                 "template": ["metadata": ["labels": ["app": "agent"]],
                              "spec": ["nodeSelector": ["role": "worker"], "containers": [["name": "c", "image": "busybox"]]]]],
    ]

    func placement(_ h: ControllerHarness) -> [String] {
        h.objects(.pods).filter { !$0.isTerminating }.compactMap(DaemonSetController.nodeName).sorted()
    }

    @Test func oneDaemonPodPerEligibleNode() async throws {
        let h = ControllerHarness(component: DaemonSetController.component, objects: [
            (.nodes, Self.node("a", labels: ["role": "worker"])),
            (.nodes, Self.node("b", labels: ["role": "worker"])),
            (.nodes, Self.node("c", labels: ["role": "control-plane"])),
            (.nodes, Self.node("d", labels: ["role": "worker"], taints: [["key": "dedicated", "value": "db", "effect": "NoSchedule"]])),
            (.daemonSets, Self.daemonSet),
        ])
        let task = h.run(DaemonSetController(context: h.context))
        try await eventually("pods on a and b") { placement(h) == ["a", "b"] }
        let pod = try #require(h.objects(.pods).first)
        #expect(pod.controllerOwner?.kind == "DaemonSet" && pod.name.hasPrefix("agent-"))
        #expect(pod[path: ["spec", "tolerations"]]?.array?.contains { $0["key"] == "node.kubernetes.io/unschedulable" } == true)
        #expect(pod.labels[DaemonSetController.hashLabel] != nil)
        try await eventually("the status") {
            let status = h.get(.daemonSets, "agent")?["status"]
            return status?["desiredNumberScheduled"] == 2 && status?["currentNumberScheduled"] == 2 && status?["numberReady"] == 0
        }

        // A new eligible node gets its pod; a node that stops qualifying loses its.
        _ = try await h.fake.create(.nodes, Self.node("e", labels: ["role": "worker"]))
        try await eventually("a pod on e") { placement(h) == ["a", "b", "e"] }
        _ = try await h.fake.retryUpdate(.nodes, namespace: nil, name: "a") { current in
            var next = current
            next[path: ["metadata", "labels", "role"]] = "retired"
            return next
        }
        try await eventually("a's pod gone") { placement(h) == ["b", "e"] }
        let events = await h.events(about: "agent")
        #expect(events.contains { $0["reason"] == "SuccessfulDelete" && $0[path: ["source", "component"]] == "daemonset-controller" })
        await h.stop(task)
    }

    @Test func eachTemplateIsARevisionAndARollbackRenumbersTheOldOne() async throws {
        var ds = Self.daemonSet
        ds[path: ["metadata", "annotations"]] = ["kubernetes.io/change-cause": "first"]
        let h = ControllerHarness(component: DaemonSetController.component, objects: [(.daemonSets, ds)])
        let task = h.run(DaemonSetController(context: h.context))
        func revisions() -> [(String, Int64)] {
            h.objects(.controllerRevisions).map { ($0.metaName, $0["revision"]?.int ?? 0) }.sorted { $0.1 < $1.1 }
        }
        try await eventually("revision 1") { revisions().count == 1 }
        let first = try #require(h.objects(.controllerRevisions).first)
        #expect(first["revision"] == 1)
        #expect(first.controllerOwner?.kind == "DaemonSet" && first.metaName.hasPrefix("agent-"))
        #expect(first[path: ["metadata", "annotations", "kubernetes.io/change-cause"]] == "first", "kubectl rollout history's CHANGE-CAUSE")
        #expect(first[path: ["data", "spec", "template", "$patch"]] == "replace", "the patch kubectl rollout undo sends")
        #expect(first[path: ["data", "spec", "template", "spec", "containers"]] == Self.daemonSet[path: ["spec", "template", "spec", "containers"]])

        func setImage(_ image: String) async throws {
            _ = try await h.fake.retryUpdate(.daemonSets, namespace: "default", name: "agent") { current in
                var next = current
                next[path: ["spec", "template", "spec", "containers"]] = [["name": "c", "image": .string(image)]]
                return next
            }
        }
        try await setImage("busybox:2")
        try await eventually("revision 2") { revisions().map(\.1) == [1, 2] }
        try await setImage("busybox")
        try await eventually("the first template is revision 3 again") { revisions().count == 2 && revisions().last?.0 == first.metaName }
        #expect(revisions().map(\.1) == [2, 3])
        await h.stop(task)
    }

    @Test func aRollingUpdateReplacesAtMostMaxUnavailableAtATime() async throws {
        let h = ControllerHarness(component: DaemonSetController.component, objects: [
            (.nodes, Self.node("a", labels: ["role": "worker"])), (.nodes, Self.node("b", labels: ["role": "worker"])),
            (.daemonSets, Self.daemonSet),
        ])
        let task = h.run(DaemonSetController(context: h.context))
        try await eventually("pods on a and b") { placement(h) == ["a", "b"] }
        for pod in h.objects(.pods) { try await h.setPodStatus(pod.name, ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]) }
        try await eventually("both ready") { h.get(.daemonSets, "agent")?[path: ["status", "numberReady"]] == 2 }
        let oldHash = try #require(h.objects(.pods).first?.labels[DaemonSetController.hashLabel])
        _ = try await h.fake.retryUpdate(.daemonSets, namespace: "default", name: "agent") { current in
            var next = current
            next[path: ["spec", "template", "spec", "containers"]] = [["name": "c", "image": "busybox:2"]]
            return next
        }
        let fresh = { h.objects(.pods).filter { $0.labels[DaemonSetController.hashLabel] != oldHash } }
        try await eventually("one pod replaced") { fresh().count == 1 && h.objects(.pods).count == 2 }
        #expect(h.fake.actions.filter { $0.verb == "delete" }.count == 1, "maxUnavailable 1: one old pod at a time")
        for pod in fresh() { try await h.setPodStatus(pod.name, ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]) }
        try await eventually("both replaced") { fresh().count == 2 && h.objects(.pods).count == 2 }
        #expect(placement(h) == ["a", "b"])
        await h.stop(task)
    }
}
