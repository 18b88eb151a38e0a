import ControllerRuntime
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Testing

/// A Deployment's rollout through its ReplicaSets, with the replicaset controller making the pods (there is no
/// kubelet: pods are made ready by hand). Moved from the apiserver's tests when its in-process controllers went.
@Suite struct DeploymentRolloutTests {
    static func deployment(replicas: Int64) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "default"],
         "spec": ["replicas": .int(replicas), "selector": ["matchLabels": ["app": "web"]],
                  "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": "25%"]],
                  "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": "nginx:1.27"]]]]]]
    }

    func live(_ h: ControllerHarness) -> [JSONValue] { h.objects(.pods).filter { !$0.isTerminating } }

    /// Marks every pod Running and Ready, as a kubelet would report them.
    func makeReady(_ h: ControllerHarness) async throws {
        for pod in live(h) where pod.trueCondition("Ready") == nil {
            try await h.setPodStatus(pod.name, ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]])
        }
    }

    func changeDeployment(_ h: ControllerHarness, _ change: @escaping (inout JSONValue) -> Void) async throws {
        _ = try await h.fake.retryUpdate(.deployments, namespace: "default", name: "web") { current in
            var next = current
            change(&next)
            return next
        }
    }

    @Test func aNewTemplateRollsOutWithinTheSurgeAndAnUndoBringsTheOldReplicaSetBack() async throws {
        let h = ControllerHarness(component: DeploymentController.component, objects: [(.deployments, Self.deployment(replicas: 3))])
        let task = h.run(DeploymentController(context: h.context), ReplicaSetController(context: h.context))
        var first: JSONValue = .null
        try await eventually("the first ReplicaSet and its three pods") {
            guard let rs = h.objects(.replicaSets).first, h.objects(.replicaSets).count == 1 else { return false }
            first = rs
            let pods = live(h)
            return pods.count == 3 && pods.allSatisfy { $0.controllerOwner?.name == rs.name && $0.labels["pod-template-hash"] != nil }
        }
        #expect(first[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]] == "1")
        try await eventually("available") {
            try await makeReady(h)
            let d = h.get(.deployments, "web")
            return d?[path: ["status", "availableReplicas"]] == 3 && d?.trueCondition("Available") != nil
        }

        // A new image rolls out within maxSurge/maxUnavailable (25% of 3: one extra pod, none unavailable).
        try await changeDeployment(h) { $0[path: ["spec", "template", "spec", "containers"]] = [["name": "web", "image": "nginx:1.28"]] }
        var sawSurge = false
        try await eventually("rolled out") {
            let total = h.objects(.replicaSets).map { Int($0[path: ["spec", "replicas"]]?.int ?? 0) }.reduce(0, +)
            if total == 4 { sawSurge = true }
            #expect(total <= 4, "never more than replicas + maxSurge")
            try await makeReady(h)
            let d = h.get(.deployments, "web")
            return d?[path: ["status", "updatedReplicas"]] == 3 && d?[path: ["status", "availableReplicas"]] == 3
                && h.get(.replicaSets, first.name)?[path: ["spec", "replicas"]] == 0
        }
        #expect(sawSurge)
        try await eventually("NewReplicaSetAvailable") {
            h.get(.deployments, "web")?[path: ["status", "conditions"]]?.array?.contains {
                $0["type"] == "Progressing" && $0["reason"] == "NewReplicaSetAvailable"
            } == true
        }
        #expect(h.get(.deployments, "web")?[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]] == "2")

        // kubectl rollout undo: the old template comes back, and so does the old ReplicaSet, as revision 3.
        try await changeDeployment(h) { d in
            var template = first[path: ["spec", "template"]] ?? .null
            template[path: ["metadata", "labels", "pod-template-hash"]] = nil
            d[path: ["spec", "template"]] = template
        }
        try await eventually("the old ReplicaSet back") {
            try await makeReady(h)
            let back = h.get(.replicaSets, first.name)
            return h.objects(.replicaSets).count == 2 && back?[path: ["spec", "replicas"]] == 3
                && back?[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]] == "3"
        }

        // Scaling goes through to the ReplicaSet and its pods.
        try await changeDeployment(h) { $0[path: ["spec", "replicas"]] = 1 }
        try await eventually("one pod") { live(h).count == 1 }
        await h.stop(task)
    }
}
