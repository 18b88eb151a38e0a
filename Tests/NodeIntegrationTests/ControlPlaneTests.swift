@testable import APIServer
import Foundation
import KubeAPI
import KubeClient
import KubeJSON
import Testing

/// What needs the programs together: the kube-apiserver's deletion and binding rules met by kube-controller-manager's
/// controllers and kube-scheduler, all talking HTTP/2 over TLS as the real programs do. (Each controller's and the
/// scheduler's own behaviour is tested against a fake API in ControllerManagerTests and SchedulerTests.)
@Suite(.serialized) struct ControlPlaneTests {
    static func template(_ app: String, volumes: Bool = false) -> JSONValue {
        var container: JSONValue = ["name": "c", "image": "busybox"]
        if volumes { container["volumeMounts"] = [["name": "data", "mountPath": "/data"]] }
        return ["metadata": ["labels": ["app": .string(app)]], "spec": ["containers": [container]]]
    }

    static func deployment(_ name: String, replicas: Int64) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name), "namespace": "default"],
         "spec": ["replicas": .int(replicas), "selector": ["matchLabels": ["app": .string(name)]], "template": template(name)]]
    }

    /// Pods are created under the namespace's `default` service account: wait for the controller to make it.
    static func defaultServiceAccount(_ cluster: InProcessCluster, namespace: String = "default") async throws {
        try await eventually("the default service account") { try await cluster.object(.serviceAccounts, "default", namespace: namespace) != nil }
    }

    @Test func aDeletedNamespaceIsEmptiedAndThenGoes() async throws {
        let cluster = try await InProcessCluster.start()
        let controllers = try cluster.runControllers(["namespace", "serviceaccount"])
        _ = try await cluster.admin.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "demo"]])
        for name in ["a", "b"] {
            _ = try await cluster.admin.create(.configMaps, namespace: "demo",
                                                ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)]])
        }
        try await Self.defaultServiceAccount(cluster, namespace: "demo")
        try await cluster.admin.delete(.namespaces, name: "demo")
        let terminating = try await cluster.object(.namespaces, "demo", namespace: "")
        #expect(terminating?[path: ["status", "phase"]] == "Terminating" || terminating == nil)
        try await eventually("the namespace gone") { try await cluster.object(.namespaces, "demo", namespace: "") == nil }
        // Its objects went first: the namespace controller finalizes only an empty namespace.
        let left = try await cluster.api.storage.range(prefix: "/registry/configmaps/demo/", startAfter: nil, limit: 0).kvs
        #expect(left.isEmpty)
        #expect(try await cluster.api.storage.range(prefix: "/registry/serviceaccounts/demo/", startAfter: nil, limit: 0).kvs.isEmpty)
        await cluster.stop([controllers])
    }

    @Test func aDeploymentMakesItsPodsAndTakesThemAlongOrLeavesThemOrphaned() async throws {
        let cluster = try await InProcessCluster.start()
        let controllers = try cluster.runControllers(["deployment", "replicaset", "garbage-collector", "serviceaccount"])
        try await Self.defaultServiceAccount(cluster)
        _ = try await cluster.admin.create(.deployments, namespace: "default", Self.deployment("web", replicas: 2))
        var replicaSet: JSONValue = .null
        try await eventually("a ReplicaSet and its two pods") {
            let sets = try await cluster.objects(.replicaSets)
            let pods = try await cluster.objects(.pods).filter { $0.metaLabels["app"] == "web" }
            guard sets.count == 1, let rs = sets.first, pods.count == 2 else { return false }
            replicaSet = rs
            return pods.allSatisfy { pod in
                pod[path: ["metadata", "ownerReferences"]]?.array?.first?["uid"]?.string == rs.metaUID
            }
        }
        #expect(replicaSet.metaName.hasPrefix("web-") && replicaSet.metaLabels["pod-template-hash"] != nil)
        for pod in try await cluster.objects(.pods) { try await cluster.makeReady(pod) }
        try await eventually("the Deployment available") {
            let d = try await cluster.object(.deployments, "web")
            return d?[path: ["status", "availableReplicas"]] == 2
                && d?[path: ["status", "conditions"]]?.array?.contains { $0["type"] == "Available" && $0["status"] == "True" } == true
        }

        // Background deletion: the apiserver deletes the Deployment at once, the garbage collector its dependents.
        try await cluster.admin.delete(.deployments, namespace: "default", name: "web")
        try await eventually("the ReplicaSet and pods gone") {
            let sets = try await cluster.objects(.replicaSets), pods = try await cluster.objects(.pods)
            return sets.isEmpty && pods.isEmpty
        }

        // Orphan: the apiserver holds the Deployment with the orphan finalizer until the collector has let go of
        // its ReplicaSet, which stays.
        _ = try await cluster.admin.create(.deployments, namespace: "default", Self.deployment("keep", replicas: 1))
        try await eventually("keep's ReplicaSet") { try await cluster.objects(.replicaSets).count == 1 }
        try await cluster.admin.delete(.deployments, namespace: "default", name: "keep", options: KubeClient.DeleteOptions(propagationPolicy: "Orphan"))
        try await eventually("keep gone") { try await cluster.object(.deployments, "keep") == nil }
        let sets = try await cluster.objects(.replicaSets)
        #expect(sets.count == 1 && sets.first?[path: ["metadata", "ownerReferences"]] == nil, "\(sets)")
        await cluster.stop([controllers])
    }

    @Test func claimsOfAStatefulSetBindToVolumesBeforeItsPodsAreScheduled() async throws {
        let cluster = try await InProcessCluster.start()
        let controlPlane = [try cluster.runControllers(["statefulset", "persistentvolume-binder", "serviceaccount"]), cluster.runScheduler()]
        try await cluster.addNode("n1")
        try await Self.defaultServiceAccount(cluster)
        let sts: JSONValue = [
            "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": "db", "namespace": "default"],
            "spec": ["replicas": 2, "serviceName": "db", "podManagementPolicy": "Parallel", "selector": ["matchLabels": ["app": "db"]],
                     "template": Self.template("db", volumes: true),
                     "volumeClaimTemplates": [["metadata": ["name": "data"],
                                               "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]]],
        ]
        _ = try await cluster.admin.create(.statefulSets, namespace: "default", sts)
        try await eventually("both pods, waiting for their claims") {
            let pods = try await cluster.objects(.pods)
            return pods.count == 2 && pods.allSatisfy {
                $0[path: ["status", "conditions"]]?.array?.first { $0["type"] == "PodScheduled" }?["message"]?.string?
                    .contains("pod has unbound immediate PersistentVolumeClaims") == true
            }
        }
        for name in ["pv-a", "pv-b"] {
            let pv: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": .string(name)],
                                 "spec": ["capacity": ["storage": "1Gi"], "accessModes": ["ReadWriteOnce"], "hostPath": ["path": .string("/mnt/\(name)")]]]
            _ = try await cluster.admin.create(.persistentVolumes, pv)
        }
        try await eventually("the claims bound and the pods on n1") {
            let claims = try await cluster.objects(.persistentVolumeClaims)
            let pods = try await cluster.objects(.pods)
            return claims.count == 2 && claims.allSatisfy { $0[path: ["status", "phase"]] == "Bound" }
                && pods.count == 2 && pods.allSatisfy { $0[path: ["spec", "nodeName"]] == "n1" }
        }
        let claim = try #require(try await cluster.object(.persistentVolumeClaims, "data-db-0"))
        #expect(claim.metaLabels["app"] == "db")
        await cluster.stop(controlPlane)
    }
}
