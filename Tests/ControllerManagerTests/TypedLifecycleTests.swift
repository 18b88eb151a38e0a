import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeControllerManager
import Testing

/// The lifecycle controllers on typed views: an object with a wrong-typed field is skipped (or, for a pod a Service
/// selects, left out) while the others go on, and the controllers' writes leave fields Kubestrap does not model as
/// they were stored.
@Suite struct TypedLifecycleTests {
    @Test func aServiceOrPodThatDoesNotDecodeIsSkippedAndTheOthersGoOn() async throws {
        var odd = Fixtures.pod("odd", node: "n1", labels: ["app": "web"], ip: "10.0.0.9")
        odd[path: ["status", "conditions"]] = [["type": "Ready", "status": true]]
        let h = LifecycleHarness([
            (.services, EndpointsTests.service("web", selector: ["app": "web"], ports: [["port": 80, "targetPort": 8080, "protocol": "TCP"]])),
            (.services, EndpointsTests.service("bad", selector: ["app": "web"], ports: [["port": "eighty", "protocol": "TCP"]])),
            (.pods, Fixtures.pod("good", node: "n1", labels: ["app": "web"], ip: "10.0.0.1")),
            (.pods, odd),
        ], component: "endpoint-controller")
        let task = h.start(EndpointsController(context: h.context))
        try await eventually("endpoints web") { h.object(.endpoints, "default", "web") != nil }
        let subsets = h.object(.endpoints, "default", "web")?["subsets"]?.array ?? []
        #expect(subsets.count == 1)
        #expect(subsets.first?["addresses"]?.array?.compactMap { $0["ip"]?.string } == ["10.0.0.1"])
        #expect(subsets.first?["notReadyAddresses"] == nil, "the pod that does not decode is left out, not guessed not-ready")
        #expect(h.object(.endpoints, "default", "bad") == nil)
        await h.stop(task)
    }

    @Test func endpointsKeepFieldsTheControllerDoesNotModel() async throws {
        let stored: JSONValue = ["apiVersion": "v1", "kind": "Endpoints",
                                 "metadata": ["name": "web", "namespace": "default", "annotations": ["someone/else": "x"]],
                                 "subsets": [["addresses": [["ip": "10.0.0.7"]]]], "futureField": ["kept": true]]
        let h = LifecycleHarness([
            (.services, EndpointsTests.service("web", selector: ["app": "web"], ports: [["port": 80, "targetPort": 8080, "protocol": "TCP"]])),
            (.pods, Fixtures.pod("good", node: "n1", labels: ["app": "web"], ip: "10.0.0.1")),
            (.endpoints, stored),
        ], component: "endpoint-controller")
        let task = h.start(EndpointsController(context: h.context))
        try await eventually("endpoints rewritten") {
            h.object(.endpoints, "default", "web")?["subsets"]?.array?.first?["addresses"]?.array?.first?["ip"] == "10.0.0.1"
        }
        let written = try #require(h.object(.endpoints, "default", "web"))
        #expect(written["futureField"] == ["kept": true])
        #expect(written[path: ["metadata", "annotations", "someone/else"]] == "x")
        await h.stop(task)
    }

    @Test func aBudgetStatusWriteKeepsUnknownFieldsAndAWrongTypedBudgetIsSkipped() async throws {
        var budget = DisruptionTests.budget("db", ["minAvailable": 1])
        budget["status"] = ["futureField": "kept", "conditions": [["type": "Other", "status": "True", "reason": "R", "message": "",
                                                                    "lastTransitionTime": "2026-05-28T20:00:00Z"]]]
        let h = LifecycleHarness([(.podDisruptionBudgets, budget),
                                  (.podDisruptionBudgets, DisruptionTests.budget("bad", ["minAvailable": true])),
                                  (.pods, Fixtures.pod("db-0", labels: ["app": "db"])),
                                  (.pods, Fixtures.pod("db-1", labels: ["app": "db"]))],
                                 component: "controllermanager")
        let task = h.start(DisruptionController(context: h.context))
        try await eventually("status written") { h.object(.podDisruptionBudgets, "default", "db")?[path: ["status", "observedGeneration"]] != nil }
        let status = try #require(h.object(.podDisruptionBudgets, "default", "db")?["status"])
        #expect(status["futureField"] == "kept")
        #expect(status["disruptionsAllowed"] == 1)
        #expect(status["conditions"]?.array?.compactMap { $0["type"]?.string } == ["Other", "DisruptionAllowed"])
        #expect(h.object(.podDisruptionBudgets, "default", "bad")?["status"] == nil)
        await h.stop(task)
    }

    @Test func nodeWritesKeepWhatTheKubeletWrote() async throws {
        var node = Fixtures.node("n2", ready: "False")
        node[path: ["spec", "podCIDR"]] = "10.244.2.0/24"
        node[path: ["status", "nodeInfo"]] = ["kubeletVersion": "v1.32.0"]
        var bad = Fixtures.node("bad", ready: "False")
        bad[path: ["spec", "taints"]] = [["key": "k", "effect": 3]]
        let h = LifecycleHarness([(.nodes, node), (.nodes, bad), (.nodes, Fixtures.node("healthy"))])
        let task = h.start(NodeLifecycleController(context: h.context))
        try await eventually("not-ready taint") { Fixtures.hasTaint(h.object(.nodes, nil, "n2"), "node.kubernetes.io/not-ready", "NoSchedule") }
        let written = try #require(h.object(.nodes, nil, "n2"))
        #expect(written[path: ["spec", "podCIDR"]] == "10.244.2.0/24")
        #expect(written[path: ["status", "nodeInfo", "kubeletVersion"]] == "v1.32.0")
        #expect(h.object(.nodes, nil, "bad")?[path: ["spec", "taints"]] == [["key": "k", "effect": 3]], "a node that does not decode is left as it is")
        await h.stop(task)
    }

    @Test func aPodWhoseTolerationsDoNotDecodeIsNotEvictedOnAGuess() async throws {
        var odd = Fixtures.pod("odd", node: "n1")
        odd[path: ["spec", "tolerations"]] = [["key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": "soon"]]
        let h = LifecycleHarness([(.nodes, TaintEvictionTests.taintedNode("n1")), (.pods, odd), (.pods, Fixtures.pod("intolerant", node: "n1"))],
                                 component: "taint-eviction-controller")
        let task = h.start(TaintEvictionController(context: h.context))
        try await eventually("the pod without a toleration deleted") { h.object(.pods, "default", "intolerant") == nil }
        #expect(h.object(.pods, "default", "odd") != nil)
        await h.stop(task)
    }
}

/// The volume and quota controllers on typed views.
@Suite struct TypedVolumeAndQuotaTests {
    @Test func aBoundClaimKeepsItsOtherStatusAndAVolumeOfAnUnreadableClaimStaysBound() async throws {
        var claim = PersistentVolumeBinderTests.claim("data", "500Mi")
        claim[path: ["status", "futureField"]] = "kept"
        var odd = PersistentVolumeBinderTests.claim("odd", "1Gi")
        odd[path: ["spec", "accessModes"]] = "ReadWriteOnce"
        var held = PersistentVolumeBinderTests.volume("held", "1Gi")
        held[path: ["spec", "claimRef"]] = ["kind": "PersistentVolumeClaim", "namespace": "default", "name": "odd"]
        held["status"] = ["phase": "Bound"]
        let h = ControllerHarness(component: "persistentvolume-binder", objects: [
            (.persistentVolumes, PersistentVolumeBinderTests.volume("small", "1Gi")), (.persistentVolumes, held),
            (.persistentVolumeClaims, claim), (.persistentVolumeClaims, odd),
        ])
        let task = h.run(PersistentVolumeBinder(context: h.context))
        try await eventually("data Bound") { h.get(.persistentVolumeClaims, "data")?[path: ["status", "phase"]] == "Bound" }
        let status = try #require(h.get(.persistentVolumeClaims, "data")?["status"])
        #expect(status["futureField"] == "kept")
        #expect(status["capacity"] == ["storage": "1Gi"] && status["accessModes"] == ["ReadWriteOnce"])
        #expect(h.get(.persistentVolumes, "held", namespace: "")?[path: ["status", "phase"]] == "Bound")
        await h.stop(task)
    }

    @Test func quantitiesWrittenAsNumbersCountAndAnUnreadablePodLeavesTheQuotaAlone() async throws {
        let quota: JSONValue = ["apiVersion": "v1", "kind": "ResourceQuota", "metadata": ["name": "q", "namespace": "team"],
                                "spec": ["hard": ["requests.cpu": 4, "pods": "10"]]]
        let container: [JSONValue] = [["name": "c", "image": "busybox", "resources": ["requests": ["cpu": 1]]]]
        let h = LifecycleHarness([(.resourceQuotas, quota), (.pods, Fixtures.pod("a", namespace: "team", containers: container))],
                                 component: "resourcequota-controller")
        let task = h.start(ResourceQuotaController(context: h.context))
        try await eventually("status.used written") { h.object(.resourceQuotas, "team", "q")?[path: ["status", "used"]] != nil }
        let status = try #require(h.object(.resourceQuotas, "team", "q")?["status"])
        #expect(status["used"] == ["requests.cpu": "1", "pods": "1"])
        #expect(status["hard"] == ["requests.cpu": "4", "pods": "10"])

        var odd = Fixtures.pod("odd", namespace: "team", containers: container)
        odd[path: ["spec", "containers"]] = [["name": "c", "image": "busybox", "resources": ["requests": ["cpu": true]]]]
        _ = try await h.client.create(.pods, namespace: "team", odd)
        _ = try await h.client.create(.pods, namespace: "team", Fixtures.pod("b", namespace: "team", containers: container))
        try await Task.sleep(for: .milliseconds(300))
        #expect(h.object(.resourceQuotas, "team", "q")?[path: ["status", "used"]] == ["requests.cpu": "1", "pods": "1"],
                "not understated around the pod it cannot read")
        try await h.client.delete(.pods, namespace: "team", name: "odd")
        try await eventually("counted again once every pod reads") {
            h.object(.resourceQuotas, "team", "q")?[path: ["status", "used"]] == ["requests.cpu": "2", "pods": "2"]
        }
        await h.stop(task)
    }
}
