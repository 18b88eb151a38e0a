@testable import APIServer
import KubeJSON
import Testing

/// The ResourceQuota and LimitRanger admission plugins, with quota status written as the resourcequota controller
/// would.
@Suite struct QuotaAdmissionTests {
    static func configMap(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)]]
    }

    static func quota(_ s: TestServer, hard: JSONValue, used: JSONValue?, scopes: [String] = []) async throws {
        var q: JSONValue = ["apiVersion": "v1", "kind": "ResourceQuota", "metadata": ["name": "q"], "spec": ["hard": hard]]
        if !scopes.isEmpty { q[path: ["spec", "scopes"]] = .array(scopes.map { .string($0) }) }
        var made = try await s.request("POST", "/api/v1/namespaces/default/resourcequotas", q).body
        #expect(made["status"] == nil || made["status"] == [:], "status is the controller's: empty on create")
        guard let used else { return }
        made["status"] = ["hard": hard, "used": used]
        #expect(try await s.request("PUT", "/api/v1/namespaces/default/resourcequotas/q/status", made).status == 200)
    }

    @Test func aCountQuotaRefusesTheThirdConfigMapAndChargesUsedAsItAdmits() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        try await Self.quota(s, hard: ["count/configmaps": "2"], used: ["count/configmaps": "0"])
        #expect(try await s.request("POST", "/api/v1/namespaces/default/configmaps", Self.configMap("a")).status == 201)
        var q = try await s.request("GET", "/api/v1/namespaces/default/resourcequotas/q").body
        #expect(q[path: ["status", "used", "count/configmaps"]] == "1", "charged at admission, before the controller recounts")
        #expect(try await s.request("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", Self.configMap("b")).status == 201)
        q = try await s.request("GET", "/api/v1/namespaces/default/resourcequotas/q").body
        #expect(q[path: ["status", "used", "count/configmaps"]] == "1", "a dry run charges nothing")
        #expect(try await s.request("POST", "/api/v1/namespaces/default/configmaps", Self.configMap("b")).status == 201)
        let third = try await s.request("POST", "/api/v1/namespaces/default/configmaps", Self.configMap("c"))
        #expect(third.status == 403)
        #expect(third.body["reason"] == "Forbidden")
        #expect(third.body["message"] == "configmaps \"c\" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2")
        #expect(try await s.request("POST", "/api/v1/namespaces/default/secrets",
                                    ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s"]]).status == 201,
                "a quota limits only what it names")
    }

    @Test func aQuotaNotYetCountedRefusesWhatItCovers() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        try await Self.quota(s, hard: ["configmaps": "5"], used: nil)
        #expect(try await s.request("POST", "/api/v1/namespaces/default/configmaps", Self.configMap("early")).status == 201,
                "as upstream, a quota binds once the controller has written its status.hard")
        var q = try await s.request("GET", "/api/v1/namespaces/default/resourcequotas/q").body
        q["status"] = ["hard": ["configmaps": "5"], "used": [:]]
        #expect(try await s.request("PUT", "/api/v1/namespaces/default/resourcequotas/q/status", q).status == 200)
        let made = try await s.request("POST", "/api/v1/namespaces/default/configmaps", Self.configMap("a"))
        #expect(made.status == 403)
        #expect(made.body["message"] == "configmaps \"a\" is forbidden: status unknown for quota: q, resources: configmaps")
    }

    static func pod(_ name: String, resources: JSONValue? = nil) -> JSONValue {
        var container: JSONValue = ["name": "app", "image": "busybox"]
        if let resources { container["resources"] = resources }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)], "spec": ["containers": [container]]]
    }

    @Test func aComputeQuotaNeedsEveryContainerToStateTheResourceAndSumsRequests() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        try await Self.quota(s, hard: ["requests.cpu": "1", "pods": "10"], used: ["requests.cpu": "0", "pods": "0"])
        let bare = try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("bare"))
        #expect(bare.status == 403)
        #expect(bare.body["message"] == "pods \"bare\" is forbidden: failed quota: q: must specify requests.cpu for: app")
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("p1", resources: ["requests": ["cpu": "600m"]])).status == 201)
        let q = try await s.request("GET", "/api/v1/namespaces/default/resourcequotas/q").body
        #expect(q[path: ["status", "used"]] == ["requests.cpu": "600m", "pods": "1"])
        let over = try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("p2", resources: ["requests": ["cpu": "500m"]]))
        #expect(over.status == 403)
        #expect(over.body["message"] == "pods \"p2\" is forbidden: exceeded quota: q, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1")
    }

    @Test func aScopedQuotaCountsOnlyThePodsInItsScope() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        try await Self.quota(s, hard: ["pods": "1"], used: ["pods": "0"], scopes: ["BestEffort"])
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("be1")).status == 201)
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("be2")).status == 403)
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods",
                                    Self.pod("burstable", resources: ["requests": ["memory": "10Mi"]])).status == 201)
        #expect(try await s.request("POST", "/api/v1/namespaces/default/configmaps", Self.configMap("c")).status == 201)
    }

    @Test func aLimitRangeDefaultsContainerResourcesAndEnforcesMaxAndMin() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let range: JSONValue = ["apiVersion": "v1", "kind": "LimitRange", "metadata": ["name": "lr"],
                                "spec": ["limits": [["type": "Container", "default": ["cpu": "500m"], "max": ["cpu": "1"],
                                                     "min": ["memory": "4Mi"], "defaultRequest": ["memory": "8Mi"]]]]]
        let stored = try await s.request("POST", "/api/v1/namespaces/default/limitranges", range).body
        #expect(stored[path: ["spec", "limits"]]?.array?.first?["defaultRequest"] == ["cpu": "500m", "memory": "8Mi"],
                "a default limit is also the default request, as upstream defaults LimitRange items")

        let made = try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("d"))
        #expect(made.status == 201, "\(made.text)")
        #expect(made.body[path: ["spec", "containers"]]?.array?.first?["resources"] == ["limits": ["cpu": "500m"], "requests": ["cpu": "500m", "memory": "8Mi"]])
        #expect(made.body[path: ["metadata", "annotations", "kubernetes.io/limit-ranger"]]
                == "LimitRanger plugin set: cpu, memory request for container app; cpu limit for container app")

        let big = try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("big", resources: ["limits": ["cpu": "2"], "requests": ["memory": "2Mi"]]))
        #expect(big.status == 403)
        #expect(big.body["message"] == "pods \"big\" is forbidden: [minimum memory usage per Container is 4Mi, but request is 2Mi, maximum cpu usage per Container is 1, but limit is 2]")

        let bad: JSONValue = ["apiVersion": "v1", "kind": "LimitRange", "metadata": ["name": "bad"],
                              "spec": ["limits": [["type": "Container", "min": ["cpu": "2"], "max": ["cpu": "1"]], ["type": "Node"]]]]
        let refused = try await s.request("POST", "/api/v1/namespaces/default/limitranges", bad)
        #expect(refused.status == 422)
        let causes = refused.body[path: ["details", "causes"]]?.array?.compactMap { $0["message"]?.string } ?? []
        #expect(causes.contains("Invalid value: \"2\": min value 2 is greater than max value 1"), "\(causes)")
        #expect(causes.contains { $0.hasPrefix("Unsupported value: \"Node\"") }, "\(causes)")
    }
}
