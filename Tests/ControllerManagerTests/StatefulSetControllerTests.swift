import ControllerRuntime
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Testing

/// The statefulset controller on a fake API (pods are made ready by hand: there is no kubelet).
@Suite struct StatefulSetControllerTests {
    static func statefulSet(_ name: String, replicas: Int64, claims: Bool = false, parallel: Bool = false) -> JSONValue {
        var sts: JSONValue = ["apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": .string(name), "namespace": "default"],
                              "spec": ["replicas": .int(replicas), "serviceName": .string(name),
                                       "selector": ["matchLabels": ["app": .string(name)]],
                                       "template": ["metadata": ["labels": ["app": .string(name)]], "spec": podSpec]]]
        if parallel { sts[path: ["spec", "podManagementPolicy"]] = "Parallel" }
        if claims {
            sts[path: ["spec", "volumeClaimTemplates"]] = [["metadata": ["name": "data"],
                                                             "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]]
        }
        return sts
    }

    func live(_ h: ControllerHarness, _ app: String) -> [String] {
        h.objects(.pods).filter { $0.labels["app"] == app && !$0.isTerminating }.map(\.name).sorted()
    }

    func makeReady(_ h: ControllerHarness, _ name: String) async throws {
        try await h.setPodStatus(name, ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]])
    }

    @Test func orderedPodsComeUpOneAtATimeAndGoHighestFirst() async throws {
        let h = ControllerHarness(component: StatefulSetController.component, objects: [(.statefulSets, Self.statefulSet("web", replicas: 3, claims: true))])
        let task = h.run(StatefulSetController(context: h.context))
        try await eventually("web-0") { live(h, "web") == ["web-0"] }
        let first = try #require(h.get(.pods, "web-0"))
        #expect(first[path: ["spec", "hostname"]] == "web-0" && first[path: ["spec", "subdomain"]] == "web")
        #expect(first.labels[StatefulSetController.podNameLabel] == "web-0" && first.labels[StatefulSetController.podIndexLabel] == "0")
        #expect(first[path: ["spec", "volumes"]]?.array?.first?[path: ["persistentVolumeClaim", "claimName"]] == "data-web-0")
        #expect(h.get(.persistentVolumeClaims, "data-web-0") != nil)
        // web-1 only once web-0 is Running and Ready.
        #expect(live(h, "web") == ["web-0"])
        try await makeReady(h, "web-0")
        try await eventually("web-1") { live(h, "web") == ["web-0", "web-1"] }
        try await makeReady(h, "web-1")
        try await eventually("web-2") { live(h, "web") == ["web-0", "web-1", "web-2"] }
        try await makeReady(h, "web-2")
        try await eventually("the status") {
            let status = h.get(.statefulSets, "web")?["status"]
            return status?["readyReplicas"] == 3 && status?["replicas"] == 3 && status?["updatedReplicas"] == 3
        }
        let sts = try #require(h.get(.statefulSets, "web"))
        #expect(sts[path: ["status", "currentRevision"]] == sts[path: ["status", "updateRevision"]])
        #expect(h.get(.pods, "web-0")?.labels[StatefulSetController.hashLabel] == sts[path: ["status", "updateRevision"]]?.string)

        // Scaled down: the highest ordinal goes first, and claims stay.
        _ = try await h.fake.retryUpdate(.statefulSets, namespace: "default", name: "web") { current in
            var next = current
            next[path: ["spec", "replicas"]] = 1
            return next
        }
        try await eventually("web-2 and web-1 gone") { live(h, "web") == ["web-0"] }
        let deleted = h.fake.actions.filter { $0.verb == "delete" && $0.resource == "pods" }.map(\.name)
        #expect(deleted == ["web-2", "web-1"])
        #expect(h.get(.persistentVolumeClaims, "data-web-2") != nil)
        let events = await h.events(about: "web")
        #expect(events.contains { $0["message"] == "create Pod web-0 in StatefulSet web successful" && $0[path: ["source", "component"]] == "statefulset-controller" })
        #expect(events.contains { $0["message"] == "delete Pod web-2 in StatefulSet web successful" })
        await h.stop(task)
    }

    @Test func aRollingUpdateReplacesPodsHighestOrdinalFirst() async throws {
        let h = ControllerHarness(component: StatefulSetController.component, objects: [(.statefulSets, Self.statefulSet("app", replicas: 2))])
        let task = h.run(StatefulSetController(context: h.context))
        for name in ["app-0", "app-1"] {
            try await eventually(name) { h.get(.pods, name) != nil }
            try await makeReady(h, name)
        }
        try await eventually("both ready") { h.get(.statefulSets, "app")?[path: ["status", "readyReplicas"]] == 2 }
        let old = try #require(h.get(.statefulSets, "app")?[path: ["status", "updateRevision"]]?.string)
        _ = try await h.fake.retryUpdate(.statefulSets, namespace: "default", name: "app") { current in
            var next = current
            next[path: ["spec", "template", "spec", "containers"]] = [["name": "c", "image": "busybox:2"]]
            return next
        }
        let revision = { h.get(.statefulSets, "app")?[path: ["status", "updateRevision"]]?.string }
        try await eventually("app-1 replaced") { revision() != old && h.get(.pods, "app-1")?.labels[StatefulSetController.hashLabel] == revision() }
        #expect(h.get(.pods, "app-0")?.labels[StatefulSetController.hashLabel] == old, "one pod at a time, the highest first")
        try await makeReady(h, "app-1")
        try await eventually("app-0 replaced") { h.get(.pods, "app-0")?.labels[StatefulSetController.hashLabel] == revision() }
        try await makeReady(h, "app-0")
        try await eventually("the current revision moves") {
            let status = h.get(.statefulSets, "app")?["status"]
            return status?["currentRevision"] == status?["updateRevision"] && status?["updatedReplicas"] == 2
        }
        #expect(h.fake.actions.filter { $0.verb == "delete" }.map(\.name) == ["app-1", "app-0"])
        await h.stop(task)
    }

    @Test func aFailedPodIsMadeAgain() async throws {
        let h = ControllerHarness(component: StatefulSetController.component, objects: [(.statefulSets, Self.statefulSet("one", replicas: 1))])
        let task = h.run(StatefulSetController(context: h.context))
        try await eventually("one-0") { h.get(.pods, "one-0") != nil }
        let first = try #require(h.get(.pods, "one-0")).uid
        try await h.setPodStatus("one-0", ["phase": "Failed"])
        try await eventually("a new one-0") { h.get(.pods, "one-0").map { $0.uid != first && $0[path: ["status", "phase"]] == nil } ?? false }
        await h.stop(task)
    }

    @Test func parallelPodsComeUpTogether() async throws {
        let h = ControllerHarness(component: StatefulSetController.component,
                                  objects: [(.statefulSets, Self.statefulSet("db", replicas: 3, parallel: true))])
        let task = h.run(StatefulSetController(context: h.context))
        try await eventually("all three") { live(h, "db") == ["db-0", "db-1", "db-2"] }
        await h.stop(task)
    }
}
