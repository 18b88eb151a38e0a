import ControllerRuntime
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Testing

/// Details of the statefulset and daemonset controllers the apiserver's tests checked while it ran in-process
/// copies of them: a StatefulSet scales down one terminating pod at a time and labels its claims; daemon pods go to
/// cordoned nodes too, pinned by node affinity, and the status counts them.
@Suite struct WorkloadPlacementTests {
    @Test func aStatefulSetWaitsForATerminatingPodToGoBeforeTheNext() async throws {
        let h = ControllerHarness(component: StatefulSetController.component,
                                  objects: [(.statefulSets, StatefulSetControllerTests.statefulSet("web", replicas: 3, claims: true))])
        let task = h.run(StatefulSetController(context: h.context))
        for name in ["web-0", "web-1", "web-2"] {
            try await eventually(name) { h.get(.pods, name) != nil }
            // A finalizer stands for the kubelet: a deleted pod stays terminating until it is let go of.
            _ = try await h.fake.retryUpdate(.pods, namespace: "default", name: name) { current in
                var next = current
                next[path: ["metadata", "finalizers"]] = ["example.com/kubelet"]
                return next
            }
            try await h.setPodStatus(name, ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]])
        }
        #expect(h.get(.persistentVolumeClaims, "data-web-0")?.labels["app"] == "web", "claims carry the selector's labels")
        try await eventually("ready") { h.get(.statefulSets, "web")?[path: ["status", "readyReplicas"]] == 3 }

        _ = try await h.fake.retryUpdate(.statefulSets, namespace: "default", name: "web") { current in
            var next = current
            next[path: ["spec", "replicas"]] = 1
            return next
        }
        try await eventually("web-2 terminating") { h.get(.pods, "web-2")?.isTerminating == true }
        _ = try await h.fake.retryUpdate(.pods, namespace: "default", name: "web-2") { current in
            var next = current
            next[path: ["metadata", "finalizers"]] = nil
            return next
        }
        try await eventually("web-1 terminating") { h.get(.pods, "web-1")?.isTerminating == true }
        // web-1's deletion came only after web-2 was gone.
        let actions = h.fake.actions
        let web2Gone = try #require(actions.lastIndex { $0.verb == "update" && $0.resource == "pods" && $0.name == "web-2" })
        let web1Deleted = try #require(actions.firstIndex { $0.verb == "delete" && $0.name == "web-1" })
        #expect(web2Gone < web1Deleted, "\(actions.filter { $0.resource == "pods" })")
        await h.stop(task)
    }

    @Test func daemonPodsGoToCordonedNodesTooPinnedByAffinity() async throws {
        var cordoned = DaemonSetControllerTests.node("w2", labels: ["role": "worker"])
        cordoned[path: ["spec", "unschedulable"]] = true
        let h = ControllerHarness(component: DaemonSetController.component, objects: [
            (.nodes, DaemonSetControllerTests.node("w1", labels: ["role": "worker"])), (.nodes, cordoned),
            (.nodes, DaemonSetControllerTests.node("w3")), (.daemonSets, DaemonSetControllerTests.daemonSet),
        ])
        let task = h.run(DaemonSetController(context: h.context))
        try await eventually("pods on w1 and the cordoned w2") {
            h.objects(.pods).compactMap(DaemonSetController.nodeName).sorted() == ["w1", "w2"]
        }
        for pod in h.objects(.pods) {
            #expect(pod.labels["pod-template-generation"] == "1")
            let terms = pod[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]]
            #expect(terms?.array?.first?["matchFields"]?.array?.first?["key"] == "metadata.name")
            #expect(pod[path: ["spec", "nodeName"]] == nil, "placed by affinity, bound by the scheduler")
            try await h.setPodStatus(pod.name, ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]])
        }
        try await eventually("the status") {
            let status = h.get(.daemonSets, "agent")?["status"]
            return status?["desiredNumberScheduled"] == 2 && status?["numberReady"] == 2 && status?["updatedNumberScheduled"] == 2
                && status?["numberMisscheduled"] == 0
        }
        await h.stop(task)
    }
}
