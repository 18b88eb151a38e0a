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
