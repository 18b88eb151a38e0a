@testable import APIServer
import KubeAPI
import KubeJSON
import Testing

/// Update strategies of an unknown type are refused with upstream's field and wording.
@Suite struct StrategyTypeTests {
    @Test func unknownUpdateStrategyTypesAreRefusedAsUpstreamDoes() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var deployment = WorkloadTests.deployment("foo")
        deployment[path: ["spec", "strategy"]] = ["type": "Foo"]
        let refused = try await s.request("POST", WorkloadTests.deployments, deployment)
        #expect(refused.status == 422, "\(refused.text)")
        #expect(refused.body["message"]?.string == "Deployment.apps \"foo\" is invalid: spec.strategy: Unsupported value: "
                + "apps.DeploymentStrategy{Type:\"Foo\", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: "
                + "supported values: \"Recreate\", \"RollingUpdate\"", "\(refused.text)")
        #expect(refused.body[path: ["details", "causes"]]?.array?.first?["field"] == "spec.strategy", "\(refused.text)")

        var daemonSet = WorkloadFixtures.daemonSet("foo")
        daemonSet[path: ["spec", "updateStrategy"]] = ["type": "Foo"]
        let ds = try await s.request("POST", "/apis/apps/v1/namespaces/default/daemonsets", daemonSet)
        #expect(ds.status == 422, "\(ds.text)")
        #expect(ds.body["message"]?.string == "DaemonSet.apps \"foo\" is invalid: spec.updateStrategy: Unsupported value: "
                + "apps.DaemonSetUpdateStrategy{Type:\"Foo\", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: "
                + "supported values: \"RollingUpdate\", \"OnDelete\"", "\(ds.text)")

        var statefulSet = WorkloadFixtures.statefulSet("foo", replicas: 0)
        statefulSet[path: ["spec", "updateStrategy"]] = ["type": "Foo"]
        let sts = try await s.request("POST", "/apis/apps/v1/namespaces/default/statefulsets", statefulSet)
        #expect(sts.status == 422, "\(sts.text)")
        #expect(sts.body["message"]?.string == "StatefulSet.apps \"foo\" is invalid: spec.updateStrategy: Invalid value: "
                + "apps.StatefulSetUpdateStrategy{Type:\"Foo\", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: "
                + "must be 'RollingUpdate' or 'OnDelete'", "\(sts.text)")

        // An empty type is Go's unset: defaulted, as a missing one.
        deployment[path: ["metadata", "name"]] = "empty"
        deployment[path: ["spec", "strategy"]] = ["type": ""]
        let empty = try await s.request("POST", WorkloadTests.deployments, deployment)
        #expect(empty.status == 201 && empty.body[path: ["spec", "strategy", "type"]] == "RollingUpdate", "\(empty.text)")
        // The known types still pass.
        daemonSet[path: ["metadata", "name"]] = "ondelete"
        daemonSet[path: ["spec", "updateStrategy"]] = ["type": "OnDelete"]
        #expect(try await s.request("POST", "/apis/apps/v1/namespaces/default/daemonsets", daemonSet).status == 201)
        statefulSet[path: ["metadata", "name"]] = "ondelete"
        statefulSet[path: ["spec", "updateStrategy"]] = ["type": "OnDelete"]
        #expect(try await s.request("POST", "/apis/apps/v1/namespaces/default/statefulsets", statefulSet).status == 201)
    }
}
