@testable import APIServer
import KubeJSON
import Testing

/// Status rules of the apps and batch kinds that upstream's types and validators carry.
@Suite struct StatusRulesTests {
    @Test func terminatingReplicasMayNotBeNegative() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let cases: [(String, JSONValue, String)] = [
            (WorkloadTests.deployments, WorkloadTests.deployment("d"), "Deployment.apps \"d\""),
            ("/apis/apps/v1/namespaces/default/replicasets", WorkloadFixtures.replicaSet("rs", replicas: 0), "ReplicaSet.apps \"rs\""),
        ]
        for (collection, object, what) in cases {
            #expect(try await s.request("POST", collection, object).status == 201)
            let reply = try await s.request("PATCH", "\(collection)/\(object.metaName)/status", ["status": ["terminatingReplicas": -1]],
                                            contentType: "application/merge-patch+json")
            #expect(reply.status == 422, "\(reply.text)")
            #expect(reply.body["message"]?.string == "\(what) is invalid: status.terminatingReplicas: Invalid value: -1: must be greater than or equal to 0",
                    "\(reply.text)")
        }
    }

    @Test func jobConditionsAreMergedByTypeInStrategicMergePatches() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let jobs = WorkloadTests.jobs
        #expect(try await s.request("POST", jobs, WorkloadTests.job("held", ["suspend": true])).status == 201)
        // The condition the job controller writes for a suspended Job.
        let suspended = try await s.request("PATCH", "\(jobs)/held/status", ["status": ["conditions": [
            ["type": "Suspended", "status": "True", "reason": "JobSuspended", "message": "Job suspended"]]]],
                                            contentType: "application/merge-patch+json")
        #expect(suspended.status == 200, "\(suspended.text)")
        let patched = try await s.request("PATCH", "\(jobs)/held/status", ["status": ["conditions": [
            ["type": "Custom", "status": "True", "reason": "Testing", "message": "added by a patch"]]]],
                                          contentType: "application/strategic-merge-patch+json")
        #expect(patched.status == 200, "\(patched.text)")
        let types = patched.body[path: ["status", "conditions"]]?.array?.compactMap { $0["type"]?.string }.sorted()
        #expect(types == ["Custom", "Suspended"], "\(patched.text)")
    }
}
