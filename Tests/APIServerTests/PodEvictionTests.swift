@testable import APIServer
import KubeJSON
import Testing

/// The pods/eviction subresource `kubectl drain` uses: a delete that a PodDisruptionBudget may refuse with 429.
@Suite struct PodEvictionTests {
    /// A running, ready pod on node n1 (bound, then its status written as a kubelet would).
    static func runningPod(_ s: TestServer, _ name: String, app: String = "web") async throws {
        var pod = PodBindingTests.pod(name)
        pod[path: ["metadata", "labels"]] = ["app": .string(app)]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", pod).status == 201)
        let binding: JSONValue = ["apiVersion": "v1", "kind": "Binding", "metadata": ["name": .string(name)], "target": ["kind": "Node", "name": "n1"]]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods/\(name)/binding", binding).status == 201)
        var current = try await s.request("GET", "/api/v1/namespaces/default/pods/\(name)").body
        current["status"] = ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]
        #expect(try await s.request("PUT", "/api/v1/namespaces/default/pods/\(name)/status", current).status == 200)
    }

    /// A budget as the disruption controller would have written its status.
    static func budget(_ s: TestServer, allowed: Int64, healthy: Int64, desired: Int64, generationSeen: Bool = true) async throws {
        let pdb: JSONValue = ["apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": "web-pdb"],
                              "spec": ["minAvailable": .int(desired), "selector": ["matchLabels": ["app": "web"]]]]
        var made = try await s.request("POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets", pdb).body
        made["status"] = ["disruptionsAllowed": .int(allowed), "currentHealthy": .int(healthy), "desiredHealthy": .int(desired),
                          "expectedPods": .int(healthy), "observedGeneration": .int(generationSeen ? 1 : 0)]
        let written = try await s.request("PUT", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web-pdb/status", made)
        #expect(written.status == 200, "\(written.text)")
    }

    static func eviction(_ name: String, dryRun: Bool = false) -> JSONValue {
        var options: JSONValue = ["gracePeriodSeconds": 0]
        if dryRun { options["dryRun"] = ["All"] }
        return ["apiVersion": "policy/v1", "kind": "Eviction", "metadata": ["name": .string(name), "namespace": "default"],
                "deleteOptions": options]
    }

    @Test func aBudgetAllowsOneDisruptionThenRefusesWithUpstreamsWords() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        for name in ["web-1", "web-2", "web-3"] { try await Self.runningPod(s, name) }
        try await Self.budget(s, allowed: 1, healthy: 3, desired: 2)

        let dry = try await s.request("POST", "/api/v1/namespaces/default/pods/web-1/eviction", Self.eviction("web-1", dryRun: true))
        #expect(dry.status == 201)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/pods/web-1").status == 200, "a dry run deletes nothing")

        let first = try await s.request("POST", "/api/v1/namespaces/default/pods/web-1/eviction", Self.eviction("web-1"))
        #expect(first.status == 201, "\(first.text)")
        #expect(first.body["status"] == "Success" && first.body["kind"] == "Status")
        #expect(try await s.request("GET", "/api/v1/namespaces/default/pods/web-1").status == 404)
        let pdb = try await s.request("GET", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web-pdb").body
        #expect(pdb[path: ["status", "disruptionsAllowed"]] == 0)
        #expect(pdb[path: ["status", "disruptedPods", "web-1"]]?.string != nil, "recorded for the disruption controller")

        let second = try await s.request("POST", "/api/v1/namespaces/default/pods/web-2/eviction", Self.eviction("web-2"))
        #expect(second.status == 429)
        #expect(second.body["reason"] == "TooManyRequests")
        #expect(second.body["message"] == "Cannot evict pod as it would violate the pod's disruption budget.")
        #expect(second.body[path: ["details", "causes"]] == [["reason": "DisruptionBudget",
                                                              "message": "The disruption budget web-pdb needs 2 healthy pods and has 3 currently"]])
        #expect(try await s.request("GET", "/api/v1/namespaces/default/pods/web-2").status == 200)
    }

    @Test func podsWithoutABudgetOrNotRunningGoAtOnce() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        try await Self.runningPod(s, "lonely", app: "other")
        try await Self.budget(s, allowed: 0, healthy: 1, desired: 1)
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods/lonely/eviction", Self.eviction("lonely")).status == 201)
        // Pending: not counted by any budget, so never refused.
        var pending = PodBindingTests.pod("pending")
        pending[path: ["metadata", "labels"]] = ["app": "web"]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", pending).status == 201)
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods/pending/eviction", Self.eviction("pending")).status == 201)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/pods/pending").status == 404)
    }

    @Test func aBudgetNotYetSeenByItsControllerRefusesAndBadRequestsAreNamed() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        try await Self.runningPod(s, "web-1")
        try await Self.budget(s, allowed: 1, healthy: 1, desired: 0, generationSeen: false)
        let refused = try await s.request("POST", "/api/v1/namespaces/default/pods/web-1/eviction", Self.eviction("web-1"))
        #expect(refused.status == 429)
        #expect(refused.body[path: ["details", "causes"]]?.array?.first?["message"] == "The disruption budget web-pdb is still being processed by the server.")
        let mismatch = try await s.request("POST", "/api/v1/namespaces/default/pods/web-1/eviction", Self.eviction("other"))
        #expect(mismatch.status == 400 && mismatch.body["message"] == "name in URL does not match name in Eviction object")
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods/nope/eviction", Self.eviction("nope")).status == 404)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/pods/web-1/eviction").status == 405)
        // Discovery tells kubectl drain that evictions are served, and in which group.
        let resources = try await s.request("GET", "/api/v1").body["resources"]?.array ?? []
        let entry = resources.first { $0["name"] == "pods/eviction" }
        #expect(entry?["group"] == "policy" && entry?["version"] == "v1" && entry?["kind"] == "Eviction")
    }
}
