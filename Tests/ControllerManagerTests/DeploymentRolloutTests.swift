import ControllerRuntime
@testable import KubeControllerManager
import KubeClient
import KubeAPI
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

    /// Seen under load with bootstrap init: a sync that ran before the ReplicaSet informer showed the ReplicaSet an
    /// earlier sync made got AlreadyExists, counted it as a hash collision and made a second ReplicaSet of the same
    /// template; the two were then scaled against each other. Upstream takes its own ReplicaSet back, and picks the
    /// oldest of equal ones.
    @Test func aReplicaSetTheCacheHasNotShownYetIsTakenBackNotCountedAsACollision() async throws {
        let h = ControllerHarness(component: DeploymentController.component, objects: [(.deployments, Self.deployment(replicas: 3))])
        let deployments = ObjectStore(.deployments, context: h.context), sets = ObjectStore(.replicaSets, context: h.context)
        let stored = try await h.fake.get(.deployments, namespace: "default", name: "web")
        // The first sync makes the ReplicaSet; the second is given the cache as it was before (no ReplicaSet).
        for _ in 0..<2 {
            let typed: Typed<Deployment> = try Workloads.typed(try await h.fake.get(.deployments, namespace: "default", name: "web"))
            try await DeploymentController.sync(typed, [], deployments: deployments, sets: sets, events: h.context.recorder, now: "2026-12-04T00:00:00Z")
        }
        let made = try await h.fake.list(.replicaSets, namespace: "default", options: ListOptions()).items
        #expect(made.count == 1, "one ReplicaSet for one template: \(made.map(\.metaName))")
        let after = try await h.fake.get(.deployments, namespace: "default", name: "web")
        #expect((after[path: ["status", "collisionCount"]]?.int ?? 0) == 0, "no collision counted")
        #expect(after.metaUID == stored.metaUID)

        // Two ReplicaSets of the same template: every sync picks the older as the new one and scales only it.
        guard var twin = made.first else { return }
        twin[path: ["metadata", "name"]] = "web-twin"
        twin[path: ["metadata", "uid"]] = nil
        twin[path: ["metadata", "resourceVersion"]] = nil
        twin[path: ["metadata", "creationTimestamp"]] = "2999-01-01T00:00:00Z"
        twin[path: ["spec", "replicas"]] = 0
        _ = try await h.fake.create(.replicaSets, namespace: "default", twin)
        for _ in 0..<3 {
            let typed: Typed<Deployment> = try Workloads.typed(try await h.fake.get(.deployments, namespace: "default", name: "web"))
            let owned: [Typed<ReplicaSet>] = try (try await h.fake.list(.replicaSets, namespace: "default", options: ListOptions()).items)
                .reversed().map { try Workloads.typed($0) }
            try await DeploymentController.sync(typed, owned, deployments: deployments, sets: sets, events: h.context.recorder, now: "2026-12-04T00:00:00Z")
        }
        let twinNow = try await h.fake.get(.replicaSets, namespace: "default", name: "web-twin")
        #expect(twinNow[path: ["spec", "replicas"]] == 0, "the younger twin is an old ReplicaSet and stays at 0")
        h.context.recorder.stop()
    }
}
