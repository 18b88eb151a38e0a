import ControllerRuntime
import KubeAPI
import KubeClient
@testable import KubeControllerManager
import KubeJSON
import Testing

/// What reading objects through typed views pins: an object that does not decode is skipped (naming the field)
/// while the others go on, and a status write leaves the fields the controller does not model as they were.
@Suite struct TypedControllerTests {
    static func replicaSet(_ name: String, replicas: JSONValue) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "ReplicaSet",
         "metadata": ["name": .string(name), "namespace": "default", "uid": .string("uid-\(name)")],
         "spec": ["replicas": replicas, "selector": ["matchLabels": ["app": .string(name)]],
                  "template": ["metadata": ["labels": ["app": .string(name)]], "spec": podSpec]]]
    }

    func owned(_ h: ControllerHarness, by name: String) -> [JSONValue] {
        h.objects(.pods).filter { $0.controllerOwner?.name == name }
    }

    @Test func anUndecodableReplicaSetIsSkippedAndTheOthersGoOn() async throws {
        var good = Self.replicaSet("good", replicas: 2)
        // A status field a newer apiserver might have: kept by the status write.
        good["status"] = ["futureField": ["kept": true], "conditions": [["type": "ReplicaFailure", "status": "False", "extra": 1]]]
        let h = ControllerHarness(component: ReplicaSetController.replicaSets.component,
                                  objects: [(.replicaSets, Self.replicaSet("bad", replicas: "two")), (.replicaSets, good)])
        let task = h.run(ReplicaSetController(context: h.context))
        try await eventually("the good ReplicaSet's pods") { owned(h, by: "good").count == 2 }
        try await eventually("the good ReplicaSet's status") { h.get(.replicaSets, "good")?[path: ["status", "replicas"]] == 2 }
        let status = try #require(h.get(.replicaSets, "good")?["status"])
        #expect(status["futureField"] == ["kept": true])
        #expect(status["conditions"] == [["type": "ReplicaFailure", "status": "False", "extra": 1]])
        #expect(owned(h, by: "bad").isEmpty && h.get(.replicaSets, "bad")?["status"] == nil)
        await h.stop(task)
    }

    @Test func aReplicaSetWithAnUndecodablePodIsLeftAloneRatherThanMiscounted() async throws {
        let h = ControllerHarness(component: ReplicaSetController.replicaSets.component, objects: [
            (.replicaSets, Self.replicaSet("web", replicas: 2)), (.replicaSets, Self.replicaSet("other", replicas: 1)),
        ])
        let uid = try #require(h.get(.replicaSets, "web")).metaUID
        try h.fake.insert(.pods, ["metadata": ["name": "web-odd", "namespace": "default", "labels": ["app": "web"],
                                               "ownerReferences": [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                                                    "uid": .string(uid), "controller": true]]],
                                  "spec": podSpec, "status": ["phase": "Running", "conditions": [["type": "Ready", "status": true]]]])
        let task = h.run(ReplicaSetController(context: h.context))
        try await eventually("the other ReplicaSet's pod") { owned(h, by: "other").count == 1 }
        // Counting around the pod it cannot read would make a second pod too many or too few: nothing is done.
        #expect(owned(h, by: "web").map(\.metaName) == ["web-odd"])
        await h.stop(task)
    }

    @Test func storedOutOfRangeNumbersAreReadClampedAndNotRewritten() async throws {
        var d: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment",
                            "metadata": ["name": "web", "namespace": "default", "uid": "uid-d"],
                            "spec": ["replicas": 1, "selector": ["matchLabels": ["app": "web"]],
                                     "strategy": ["rollingUpdate": ["maxSurge": .int(Int64.max)]],
                                     "template": ["metadata": ["labels": ["app": "web"]], "spec": podSpec]]]
        d["status"] = ["collisionCount": .int(1 << 40)]
        let h = ControllerHarness(component: DeploymentController.component, objects: [(.deployments, d)])
        let task = h.run(DeploymentController(context: h.context))
        try await eventually("the ReplicaSet") { h.objects(.replicaSets).count == 1 }
        try await eventually("the Deployment's status") { h.get(.deployments, "web")?[path: ["status", "conditions"]] != nil }
        let written = try #require(h.get(.deployments, "web"))
        #expect(written[path: ["status", "collisionCount"]] == .int(1 << 40))
        #expect(written[path: ["spec", "strategy", "rollingUpdate", "maxSurge"]] == .int(Int64.max))
        #expect(h.objects(.replicaSets).first?[path: ["metadata", "annotations", "deployment.kubernetes.io/max-replicas"]] == "2147483648")
        await h.stop(task)
    }
}
