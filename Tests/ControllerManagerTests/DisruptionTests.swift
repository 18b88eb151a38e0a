import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeControllerManager
import Testing

@Suite struct DisruptionTests {
    static func budget(_ name: String, _ spec: JSONValue) -> JSONValue {
        var budget: JSONValue = ["apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                                 "metadata": ["name": .string(name), "namespace": "default"],
                                 "spec": ["selector": ["matchLabels": ["app": "db"]]]]
        for (key, value) in spec.object ?? [:] { budget[path: ["spec", key]] = value }
        return budget
    }

    static func condition(_ budget: JSONValue?) -> JSONValue? {
        Fixtures.condition(budget, "DisruptionAllowed")
    }

    @Test func minAvailableAllowsDisruptionsAboveIt() async throws {
        let h = LifecycleHarness([(.podDisruptionBudgets, Self.budget("db", ["minAvailable": 2])),
                                  (.pods, Fixtures.pod("db-0", labels: ["app": "db"])),
                                  (.pods, Fixtures.pod("db-1", labels: ["app": "db"])),
                                  (.pods, Fixtures.pod("db-2", labels: ["app": "db"])),
                                  (.pods, Fixtures.pod("web", labels: ["app": "web"]))],
                                 component: "controllermanager")
        let task = h.start(DisruptionController(context: h.context))
        try await eventually("status written") { h.object(.podDisruptionBudgets, "default", "db")?[path: ["status", "observedGeneration"]] != nil }
        let status = try #require(h.object(.podDisruptionBudgets, "default", "db")?["status"])
        #expect(status["currentHealthy"]?.int == 3)
        #expect(status["desiredHealthy"]?.int == 2)
        #expect(status["expectedPods"]?.int == 3)
        #expect(status["disruptionsAllowed"]?.int == 1)
        #expect(status["observedGeneration"]?.int == 1)
        let allowed = Self.condition(h.object(.podDisruptionBudgets, "default", "db"))
        #expect(allowed?["status"]?.string == "True")
        #expect(allowed?["reason"]?.string == "SufficientPods")

        try await h.setStatus(.pods, "default", "db-1") { pod in
            pod[path: ["status", "conditions"]] = [["type": "Ready", "status": "False"]]
        }
        try await eventually("no disruption allowed at the minimum") {
            let budget = h.object(.podDisruptionBudgets, "default", "db")
            return budget?[path: ["status", "disruptionsAllowed"]]?.int == 0 && budget?[path: ["status", "currentHealthy"]]?.int == 2
        }
        #expect(Self.condition(h.object(.podDisruptionBudgets, "default", "db"))?["reason"]?.string == "InsufficientPods")
        await h.stop(task)
    }

    @Test func maxUnavailablePercentUsesTheOwnersScale() async throws {
        let rs: JSONValue = ["apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": ["name": "db", "namespace": "default"],
                             "spec": ["replicas": 4, "selector": ["matchLabels": ["app": "db"]]]]
        var objects: [(ResourceType, JSONValue)] = [(.replicaSets, rs), (.podDisruptionBudgets, Self.budget("db", ["maxUnavailable": "50%"]))]
        for name in ["db-a", "db-b", "db-c"] { objects.append((.pods, Fixtures.pod(name, labels: ["app": "db"]))) }
        let h = LifecycleHarness(objects)
        // The ReplicaSet's uid is the fake's to give: the pods point at it once it is stored.
        let rsUID = h.object(.replicaSets, "default", "db")?[path: ["metadata", "uid"]] ?? ""
        for name in ["db-a", "db-b", "db-c"] {
            var pod = try await h.client.get(.pods, namespace: "default", name: name)
            pod[path: ["metadata", "ownerReferences"]] = [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "db",
                                                           "uid": rsUID, "controller": true]]
            _ = try await h.client.update(.pods, pod)
        }
        let task = h.start(DisruptionController(context: h.context))
        try await eventually("status written") {
            h.object(.podDisruptionBudgets, "default", "db")?[path: ["status", "expectedPods"]]?.int == 4
        }
        let status = try #require(h.object(.podDisruptionBudgets, "default", "db")?["status"])
        #expect(status["desiredHealthy"]?.int == 2)
        #expect(status["currentHealthy"]?.int == 3)
        #expect(status["disruptionsAllowed"]?.int == 1)
        await h.stop(task)
    }
}
