@testable import APIServer
import KubeJSON
import Testing

/// What the apiserver does for kube-scheduler and for kubectl's view of nodes and DaemonSets: the pods/binding
/// subresource, where nodes are stored, and DaemonSet tables. (Scheduling itself: SchedulerTests; placing daemon
/// pods: ControllerManagerTests' DaemonSetControllerTests.)
@Suite struct PodBindingTests {
    static func node(_ name: String, taints: [JSONValue] = [], labels: [String: String] = [:]) -> JSONValue {
        ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "labels": JSONValue(labels)],
         "spec": ["taints": .array(taints)],
         "status": ["allocatable": ["cpu": "2", "memory": "4Gi", "pods": "110"], "capacity": ["cpu": "2", "memory": "4Gi", "pods": "110"],
                    "conditions": [["type": "Ready", "status": "True"]]]]
    }

    static func pod(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
         "spec": ["containers": [["name": "c", "image": "busybox", "command": ["sleep", "3600"]]]]]
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
        let pod = try await s.request("GET", "/api/v1/namespaces/default/pods/manual").body
        #expect(pod[path: ["spec", "nodeName"]] == "n9")
        #expect(pod[path: ["status", "conditions"]]?.array?.contains { $0["type"] == "PodScheduled" && $0["status"] == "True" } == true)
        let again = try await s.request("POST", "/api/v1/namespaces/default/pods/manual/binding", binding)
        #expect(again.status == 409 && again.body["message"]?.string?.contains(#"pod manual is already assigned to node "n9""#) == true)
        let elsewhere: JSONValue = ["apiVersion": "v1", "kind": "Binding", "metadata": ["name": "manual"], "target": ["kind": "Pod", "name": "x"]]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods/manual/binding", elsewhere).status == 422)
    }

    @Test func nodesAndDaemonSetsAreStoredAndPrintedAsUpstreams() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let created = try await s.request("POST", "/api/v1/nodes", Self.node("w3"))
        #expect(created.status == 201, "\(created.text)")
        // Stored where upstream keeps them (etcdctl users look there).
        #expect(try await s.api.storage.get("/registry/minions/w3") != nil)
        #expect(try await s.api.storage.get("/registry/services/specs/default/kubernetes") != nil)

        var ds = WorkloadTests.deployment("agent", selector: ["app": "agent"], labels: ["app": "agent"])
        ds["kind"] = "DaemonSet"
        ds[path: ["spec", "template", "spec", "nodeSelector"]] = ["disk": "ssd"]
        let made = try await s.request("POST", "/apis/apps/v1/namespaces/default/daemonsets", ds)
        #expect(made.status == 201, "\(made.text)")
        // The status the daemonset controller writes once both pods are ready.
        let status: JSONValue = ["status": ["desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 2,
                                            "updatedNumberScheduled": 2, "numberAvailable": 2, "numberMisscheduled": 0]]
        let written = try await s.request("PATCH", "/apis/apps/v1/namespaces/default/daemonsets/agent/status", status,
                                          contentType: "application/merge-patch+json")
        #expect(written.status == 200, "\(written.text)")
        let table = try await s.request("GET", "/apis/apps/v1/namespaces/default/daemonsets", accept: "application/json;as=Table;v=v1;g=meta.k8s.io").body
        #expect(table["rows"]?.array?.first?["cells"]?.array?.prefix(7) == ["agent", 2, 2, 2, 2, 2, "disk=ssd"], "\(table)")
    }
}
