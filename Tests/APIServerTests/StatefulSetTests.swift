@testable import APIServer
import KubeJSON
import Testing

/// The in-process statefulset controller (pods are made ready by hand: there is no kubelet here) and the
/// scheduler's volume checks that its claims meet.
@Suite struct StatefulSetControllerTests {
    static let sets = "/apis/apps/v1/namespaces/default/statefulsets"
    static let pods = "/api/v1/namespaces/default/pods"

    static func statefulSet(_ name: String, replicas: Int64, claims: Bool = false, parallel: Bool = false) -> JSONValue {
        var sts = WorkloadTests.deployment(name, selector: ["app": .init(name)], labels: ["app": .init(name)])
        sts["kind"] = "StatefulSet"
        sts[path: ["spec", "replicas"]] = .int(replicas)
        sts[path: ["spec", "serviceName"]] = .string(name)
        if parallel { sts[path: ["spec", "podManagementPolicy"]] = "Parallel" }
        if claims {
            sts[path: ["spec", "volumeClaimTemplates"]] = [["metadata": ["name": "data"],
                                                             "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]]
            // Mounted by name alone: the claim template stands for the volume (a missing volume would be refused).
            sts[path: ["spec", "template", "spec", "containers"]] = [["name": "db", "image": "busybox", "volumeMounts": [["name": "data", "mountPath": "/data"]]]]
        }
        return sts
    }

    func live(_ s: TestServer, _ app: String) async throws -> [JSONValue] {
        (try await s.request("GET", Self.pods).body["items"]?.array ?? [])
            .filter { $0.metaLabels["app"] == app && $0.metaDeletionTimestamp == nil }
            .sorted { $0.metaName < $1.metaName }
    }

    func makeReady(_ s: TestServer, _ pods: [JSONValue]) async throws {
        for pod in pods where !Workloads.isReady(pod) {
            _ = try await s.request("PATCH", "\(Self.pods)/\(pod.metaName)/status",
                                    ["status": ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]],
                                    contentType: "application/merge-patch+json")
        }
    }

    /// Deletes terminating pods for good, as a kubelet does once their containers stop.
    func finishTerminating(_ s: TestServer) async throws {
        for pod in try await s.request("GET", Self.pods).body["items"]?.array ?? [] where pod.metaDeletionTimestamp != nil {
            _ = try await s.request("DELETE", "\(Self.pods)/\(pod.metaName)", ["kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0])
        }
    }

    func addNode(_ s: TestServer) async throws {
        let node = try await s.request("POST", "/api/v1/nodes", SchedulerTests.node("n1"))
        var withStatus = node.body
        withStatus["status"] = SchedulerTests.node("n1")["status"]
        #expect(try await s.request("PUT", "/api/v1/nodes/n1/status", withStatus).status == 200)
    }

    @Test func orderedPodsComeUpOneAtATimeAndGoHighestFirst() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        // Bound pods are deleted gracefully (unbound ones at once), so each step can be watched.
        try await addNode(s)
        #expect(try await s.request("POST", Self.sets, Self.statefulSet("web", replicas: 3)).status == 201)
        // web-1 only once web-0 is Running and Ready, and so on.
        try await eventually { try await live(s, "web").map(\.metaName) == ["web-0"] }
        let first = try await live(s, "web")[0]
        #expect(first[path: ["spec", "hostname"]] == "web-0" && first[path: ["spec", "subdomain"]] == "web")
        #expect(first.metaLabels["statefulset.kubernetes.io/pod-name"] == "web-0" && first.metaLabels["apps.kubernetes.io/pod-index"] == "0")
        #expect(first.metaLabels["controller-revision-hash"]?.hasPrefix("web-") == true)
        try await makeReady(s, [first])
        try await eventually { try await live(s, "web").map(\.metaName) == ["web-0", "web-1"] }
        try await eventually {
            try await makeReady(s, try await live(s, "web"))
            return try await live(s, "web").count == 3
        }
        try await eventually {
            try await makeReady(s, try await live(s, "web"))
            let sts = try await s.request("GET", "\(Self.sets)/web").body
            return sts[path: ["status", "readyReplicas"]] == 3 && sts[path: ["status", "currentRevision"]] == sts[path: ["status", "updateRevision"]]
        }

        // Scale to 1: web-2 goes first, then web-1.
        #expect(try await s.request("PATCH", "\(Self.sets)/web/scale", ["spec": ["replicas": 1]], contentType: "application/merge-patch+json").status == 200)
        try await eventually { try await live(s, "web").map(\.metaName) == ["web-0", "web-1"] }
        #expect(try await s.request("GET", "\(Self.pods)/web-1").body.metaDeletionTimestamp == nil, "web-1 waits for web-2 to be gone")
        try await finishTerminating(s)
        try await eventually { try await live(s, "web").map(\.metaName) == ["web-0"] }

        // A new template replaces web-0 (the partition is 0) and the revisions meet again.
        #expect(try await s.request("PATCH", "\(Self.sets)/web", ["spec": ["template": ["spec": ["containers": [["name": "web", "image": "nginx:1.28"]]]]]],
                                    contentType: "application/strategic-merge-patch+json").status == 200)
        try await eventually {
            try await finishTerminating(s)
            let pods = try await live(s, "web")
            try await makeReady(s, pods)
            let sts = try await s.request("GET", "\(Self.sets)/web").body
            return pods.first?[path: ["spec", "containers"]]?.array?.first?["image"] == "nginx:1.28"
                && sts[path: ["status", "updatedReplicas"]] == 1 && sts[path: ["status", "currentRevision"]] == sts[path: ["status", "updateRevision"]]
        }
    }

    @Test func claimsFromTemplatesMustBindBeforeThePodIsScheduled() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        try await addNode(s)
        #expect(try await s.request("POST", Self.sets, Self.statefulSet("db", replicas: 2, claims: true, parallel: true)).status == 201)
        try await eventually { try await live(s, "db").count == 2 }
        let claim = try await s.request("GET", "/api/v1/namespaces/default/persistentvolumeclaims/data-db-0").body
        #expect(claim.metaLabels["app"] == "db" && claim[path: ["status", "phase"]] == "Pending")
        let pod = try await s.request("GET", "\(Self.pods)/db-0").body
        #expect(pod[path: ["spec", "volumes"]]?.array?.contains { $0[path: ["persistentVolumeClaim", "claimName"]] == "data-db-0" } == true)
        // No volume: the pods wait, as upstream's scheduler says.
        try await eventually {
            let p = try await s.request("GET", "\(Self.pods)/db-0").body
            return p[path: ["status", "conditions"]]?.array?.first?["message"]
                == "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
        }
        for name in ["pv-a", "pv-b"] {
            let pv: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": .string(name)],
                                 "spec": ["capacity": ["storage": "1Gi"], "accessModes": ["ReadWriteOnce"], "hostPath": ["path": .string("/mnt/\(name)")]]]
            #expect(try await s.request("POST", "/api/v1/persistentvolumes", pv).status == 201)
        }
        try await eventually {
            let pods = try await live(s, "db")
            return pods.count == 2 && pods.allSatisfy { $0[path: ["spec", "nodeName"]] == "n1" }
        }
        // A pod naming a claim that does not exist.
        let orphan: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "lost"],
                                 "spec": ["containers": [["name": "c", "image": "busybox"]],
                                          "volumes": [["name": "v", "persistentVolumeClaim": ["claimName": "nope"]]]]]
        #expect(try await s.request("POST", Self.pods, orphan).status == 201)
        try await eventually {
            let p = try await s.request("GET", "\(Self.pods)/lost").body
            return p[path: ["status", "conditions"]]?.array?.first?["message"]?.string?.hasPrefix("0/1 nodes are available: persistentvolumeclaim \"nope\" not found.") == true
        }
    }
}
