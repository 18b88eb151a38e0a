import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
@testable import KubeControllerManager
import Testing

@Suite struct ResourceQuotaTests {
    static func container(cpu: String, memory: String, limit: String) -> [JSONValue] {
        [["name": "c", "image": "busybox",
          "resources": ["requests": ["cpu": .string(cpu), "memory": .string(memory)], "limits": ["memory": .string(limit)]]]]
    }

    @Test func usedCountsTheNamespacesObjects() async throws {
        let quota: JSONValue = ["apiVersion": "v1", "kind": "ResourceQuota", "metadata": ["name": "q", "namespace": "team"],
                                "spec": ["hard": ["pods": "10", "requests.cpu": "4", "requests.memory": "4Gi", "limits.memory": "8Gi",
                                                  "count/configmaps": "5", "services": "3", "persistentvolumeclaims": "2",
                                                  "requests.storage": "10Gi"]]]
        let claim: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "data", "namespace": "team"],
                                "spec": ["resources": ["requests": ["storage": "1Gi"]]]]
        let h = LifecycleHarness([
            (.resourceQuotas, quota),
            (.pods, Fixtures.pod("a", namespace: "team", containers: Self.container(cpu: "100m", memory: "64Mi", limit: "128Mi"))),
            (.pods, Fixtures.pod("b", namespace: "team", containers: Self.container(cpu: "1", memory: "64Mi", limit: "128Mi"))),
            (.pods, Fixtures.pod("finished", namespace: "team", phase: "Succeeded",
                                 containers: Self.container(cpu: "2", memory: "1Gi", limit: "1Gi"))),
            (.pods, Fixtures.pod("elsewhere", namespace: "default", containers: Self.container(cpu: "3", memory: "1Gi", limit: "1Gi"))),
            (.configMaps, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "one", "namespace": "team"]]),
            (.configMaps, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "two", "namespace": "team"]]),
            (.services, ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "svc", "namespace": "team"], "spec": .emptyObject]),
            (.persistentVolumeClaims, claim),
        ], component: "resourcequota-controller")
        let task = h.start(ResourceQuotaController(context: h.context))
        try await eventually("status.used written") { h.object(.resourceQuotas, "team", "q")?[path: ["status", "used"]] != nil }
        let status = try #require(h.object(.resourceQuotas, "team", "q")?["status"])
        #expect(status["hard"] == quota[path: ["spec", "hard"]])
        let used = status["used"]?.stringMap ?? [:]
        #expect(used == ["pods": "2", "requests.cpu": "1100m", "requests.memory": "128Mi", "limits.memory": "256Mi",
                         "count/configmaps": "2", "services": "1", "persistentvolumeclaims": "1", "requests.storage": "1Gi"])

        _ = try await h.client.create(.pods, namespace: "team",
                                      Fixtures.pod("c", namespace: "team", containers: Self.container(cpu: "900m", memory: "128Mi", limit: "128Mi")))
        try await eventually("used follows a new pod") {
            let used = h.object(.resourceQuotas, "team", "q")?[path: ["status", "used"]]?.stringMap ?? [:]
            return used["pods"] == "3" && used["requests.cpu"] == "2" && used["requests.memory"] == "256Mi"
        }
        try await h.client.delete(.configMaps, namespace: "team", name: "one")
        try await eventually("used follows a deleted configmap") {
            h.object(.resourceQuotas, "team", "q")?[path: ["status", "used", "count/configmaps"]]?.string == "1"
        }
        await h.stop(task)
    }

    /// `count/<resource>.<group>` of a kind without an informer here (a Lease, a custom resource) is counted by a list.
    @Test func countsOfOtherKindsComeFromDiscoveryAndAList() async throws {
        let quota: JSONValue = ["apiVersion": "v1", "kind": "ResourceQuota", "metadata": ["name": "q", "namespace": "team"],
                                "spec": ["hard": ["count/leases.coordination.k8s.io": "3", "count/widgets.example.com": "1"]]]
        let h = LifecycleHarness([
            (.resourceQuotas, quota),
            (.leases, ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "l1", "namespace": "team"]]),
            (.leases, ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "l2", "namespace": "team"]]),
            (.leases, ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "other", "namespace": "default"]]),
        ], component: "resourcequota-controller")
        h.client.setDiscovery([DiscoveredResource(type: .leases, verbs: ["list", "watch", "create", "delete"])])
        let task = h.start(ResourceQuotaController(context: h.context))
        try await eventually("status.used written") { h.object(.resourceQuotas, "team", "q")?[path: ["status", "used"]] != nil }
        let used = h.object(.resourceQuotas, "team", "q")?[path: ["status", "used"]]?.stringMap ?? [:]
        #expect(used == ["count/leases.coordination.k8s.io": "2"], "a resource the server does not serve is left out")
        await h.stop(task)
    }

    @Test func quantitiesPrintInCanonicalForm() {
        #expect(QuotaQuantity("500m").map { ($0 + QuotaQuantity("500m")!).text } == "1")
        #expect(QuotaQuantity("64Mi").map { ($0 + QuotaQuantity("64Mi")!).text } == "128Mi")
        #expect(QuotaQuantity("1G").map { ($0 + QuotaQuantity("500M")!).text } == "1500M")
        #expect(QuotaQuantity("1.5").map(\.text) == "1500m")
        #expect(QuotaQuantity("bogus") == nil)
    }
}
