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
}
