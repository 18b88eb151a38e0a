@testable import APIServer
import KubeJSON
import Testing

/// The in-process default-scheduler: taints, unschedulable nodes, selectors, resources, and pods/binding.
@Suite struct SchedulerTests {
    static func node(_ name: String, taints: [JSONValue] = [], labels: [String: String] = [:]) -> JSONValue {
        ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "labels": JSONValue(labels)],
         "spec": ["taints": .array(taints)],
         "status": ["allocatable": ["cpu": "2", "memory": "4Gi", "pods": "110"], "capacity": ["cpu": "2", "memory": "4Gi", "pods": "110"],
                    "conditions": [["type": "Ready", "status": "True"]]]]
    }

    static func pod(_ name: String, cpu: String? = nil, selector: [String: String]? = nil) -> JSONValue {
        var container: JSONValue = ["name": "c", "image": "busybox", "command": ["sleep", "3600"]]
        if let cpu { container["resources"] = ["requests": ["cpu": .string(cpu)]] }
        var p: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)], "spec": ["containers": [container]]]
        if let selector { p[path: ["spec", "nodeSelector"]] = JSONValue(selector) }
        return p
    }

    func podObject(_ s: TestServer, _ name: String) async throws -> JSONValue {
        try await s.request("GET", "/api/v1/namespaces/default/pods/\(name)").body
    }

    @Test func pendingPodsGoToANodeTheyFit() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let taint: JSONValue = ["key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"]
        let created = try await s.request("POST", "/api/v1/nodes", Self.node("cp", taints: [taint], labels: ["disk": "ssd"]))
        #expect(created.status == 201, "\(created.text)")
        // The node status arrives through /status, as a kubelet posts it.
        var withStatus = created.body
        withStatus["status"] = Self.node("cp")["status"]
        #expect(try await s.request("PUT", "/api/v1/nodes/cp/status", withStatus).status == 200)

        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("web")).status == 201)
        let expected = "0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
        try await eventually {
            let p = try await podObject(s, "web")
            return p[path: ["status", "conditions"]]?.array?.contains { $0["type"] == "PodScheduled" && $0["message"]?.string == expected } == true
        }
        try await eventually {
            let events = try await s.request("GET", "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb").body["items"]?.array ?? []
            return events.contains { $0["reason"] == "FailedScheduling" && $0[path: ["source", "component"]] == "default-scheduler" }
        }

        // kubectl taint nodes --all node-role.kubernetes.io/control-plane-
        #expect(try await s.request("PATCH", "/api/v1/nodes/cp", ["spec": ["taints": []]], contentType: "application/merge-patch+json").status == 200)
        try await eventually { try await podObject(s, "web")[path: ["spec", "nodeName"]] == "cp" }
        let scheduled = try await podObject(s, "web")
        #expect(scheduled[path: ["status", "conditions"]]?.array?.contains { $0["type"] == "PodScheduled" && $0["status"] == "True" } == true)

        // Too big, or asking for a label the node lacks: Pending with the reason.
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("big", cpu: "3")).status == 201)
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("picky", selector: ["disk": "hdd"])).status == 201)
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("fits", selector: ["disk": "ssd"])).status == 201)
        try await eventually { try await podObject(s, "fits")[path: ["spec", "nodeName"]] == "cp" }
        try await eventually {
            try await podObject(s, "big")[path: ["status", "conditions"]]?.array?.first?["message"]?.string?.contains("1 Insufficient cpu") == true
        }
        try await eventually {
            try await podObject(s, "picky")[path: ["status", "conditions"]]?.array?.first?["message"]?.string?
                .contains("1 node(s) didn't match Pod's node affinity/selector") == true
        }
    }

    @Test func bindingAssignsOnce() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var p = Self.pod("manual")
        p[path: ["spec", "schedulerName"]] = "my-scheduler"
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", p).status == 201)
        let binding: JSONValue = ["apiVersion": "v1", "kind": "Binding", "metadata": ["name": "manual"], "target": ["kind": "Node", "name": "n9"]]
        let bound = try await s.request("POST", "/api/v1/namespaces/default/pods/manual/binding", binding)
        #expect(bound.status == 201, "\(bound.text)")
        #expect(try await podObject(s, "manual")[path: ["spec", "nodeName"]] == "n9")
        let again = try await s.request("POST", "/api/v1/namespaces/default/pods/manual/binding", binding)
        #expect(again.status == 409 && again.body["message"]?.string?.contains(#"pod manual is already assigned to node "n9""#) == true)
    }
}

/// The in-process daemonset controller: a pod per qualifying node, bound by the scheduler; rolling updates.
@Suite struct DaemonSetControllerTests {
    static let daemonSets = "/apis/apps/v1/namespaces/default/daemonsets"

    func addNode(_ s: TestServer, _ name: String, taints: [JSONValue] = [], labels: [String: String] = [:]) async throws {
        let created = try await s.request("POST", "/api/v1/nodes", SchedulerTests.node(name, taints: taints, labels: labels))
        #expect(created.status == 201, "\(created.text)")
        var withStatus = created.body
        withStatus["status"] = SchedulerTests.node(name)["status"]
        #expect(try await s.request("PUT", "/api/v1/nodes/\(name)/status", withStatus).status == 200)
    }

    func daemonPods(_ s: TestServer) async throws -> [JSONValue] {
        (try await s.request("GET", "/api/v1/namespaces/default/pods").body["items"]?.array ?? [])
            .filter { $0.metaLabels["app"] == "agent" && $0.metaDeletionTimestamp == nil }
    }

    @Test func aDaemonPodRunsOnEveryQualifyingNode() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        try await addNode(s, "cp", taints: [["key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"]])
        try await addNode(s, "w1", labels: ["disk": "ssd"])
        try await addNode(s, "w2", labels: ["disk": "ssd"])
        try await addNode(s, "w3")
        // Stored where upstream keeps them (etcdctl users look there).
        #expect(try await s.api.storage.get("/registry/minions/w3") != nil)
        #expect(try await s.api.storage.get("/registry/services/specs/default/kubernetes") != nil)
        #expect(try await s.request("PATCH", "/api/v1/nodes/w2", ["spec": ["unschedulable": true]], contentType: "application/merge-patch+json").status == 200)
        var ds = WorkloadTests.deployment("agent", selector: ["app": "agent"], labels: ["app": "agent"])
        ds["kind"] = "DaemonSet"
        ds[path: ["spec", "template", "spec", "nodeSelector"]] = ["disk": "ssd"]
        let created = try await s.request("POST", Self.daemonSets, ds)
        #expect(created.status == 201, "\(created.text)")

        // w1 and the cordoned w2 (daemon pods tolerate cordoning); not the tainted cp, not w3 (no ssd label).
        var pods: [JSONValue] = []
        try await eventually {
            pods = try await daemonPods(s)
            return pods.count == 2 && pods.allSatisfy { ($0[path: ["spec", "nodeName"]]?.string ?? "") != "" }
        }
        #expect(Set(pods.compactMap { $0[path: ["spec", "nodeName"]]?.string }) == ["w1", "w2"])
        let first = try #require(pods.first)
        #expect(first.metaLabels["controller-revision-hash"] != nil && first.metaLabels["pod-template-generation"] == "1")
        #expect(first[path: ["spec", "tolerations"]]?.array?.contains { $0["key"] == "node.kubernetes.io/unschedulable" && $0["effect"] == "NoSchedule" } == true)
        let terms = first[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]]
        #expect(terms?.array?.first?["matchFields"]?.array?.first?["key"] == "metadata.name")

        for pod in pods {
            _ = try await s.request("PATCH", "/api/v1/namespaces/default/pods/\(pod.metaName)/status",
                                    ["status": ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]],
                                    contentType: "application/merge-patch+json")
        }
        try await eventually {
            let status = try await s.request("GET", "\(Self.daemonSets)/agent").body["status"] ?? .null
            return status["desiredNumberScheduled"] == 2 && status["numberReady"] == 2 && status["updatedNumberScheduled"] == 2
                && status["numberMisscheduled"] == 0
        }

        // A node that stops qualifying loses its pod; a new template replaces pods one at a time (maxUnavailable 1).
        #expect(try await s.request("PATCH", "/api/v1/nodes/w2", ["metadata": ["labels": ["disk": "hdd"]]], contentType: "application/merge-patch+json").status == 200)
        try await eventually { try await daemonPods(s).count == 1 }
        try await addNode(s, "w4", labels: ["disk": "ssd"])
        try await eventually { try await daemonPods(s).count == 2 }
        #expect(try await s.request("PATCH", "\(Self.daemonSets)/agent",
                                    ["spec": ["template": ["spec": ["containers": [["name": "web", "image": "agent:2"]]]]]],
                                    contentType: "application/strategic-merge-patch+json").status == 200)
        var sawBoth = false
        try await eventually {
            let current = try await daemonPods(s)
            let images = current.compactMap { $0[path: ["spec", "containers"]]?.array?.first?["image"]?.string }
            if images.contains("agent:2") && images.contains("nginx:1.27") { sawBoth = true }
            #expect(current.filter { !Workloads.isReady($0) }.count <= 1, "at most one node without a ready daemon pod")
            for pod in current where !Workloads.isReady(pod) && isBound(pod) {
                _ = try await s.request("PATCH", "/api/v1/namespaces/default/pods/\(pod.metaName)/status",
                                        ["status": ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]],
                                        contentType: "application/merge-patch+json")
            }
            return current.count == 2 && images == ["agent:2", "agent:2"]
        }
        #expect(sawBoth, "the update went one node at a time")
        try await eventually {
            // The last new pod may have been bound after the loop above made the others ready.
            for pod in try await daemonPods(s) where !Workloads.isReady(pod) && isBound(pod) {
                _ = try await s.request("PATCH", "/api/v1/namespaces/default/pods/\(pod.metaName)/status",
                                        ["status": ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]],
                                        contentType: "application/merge-patch+json")
            }
            let table = try await s.request("GET", Self.daemonSets, accept: "application/json;as=Table;v=v1;g=meta.k8s.io").body
            return table["rows"]?.array?.first?["cells"]?.array?.prefix(7) == ["agent", 2, 2, 2, 2, 2, "disk=ssd"]
        }
    }

    func isBound(_ pod: JSONValue) -> Bool { !(pod[path: ["spec", "nodeName"]]?.string ?? "").isEmpty }
}
