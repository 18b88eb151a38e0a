@testable import APIServer
import KubeAPI
import KubeJSON
import Testing

/// A number a Go struct field cannot hold is upstream's 400 decode error on every write path; a number it can hold
/// but the kind does not allow is upstream's 422 with upstream's wording.
@Suite struct NumericDecodingTests {
    static let deployments = "/apis/apps/v1/namespaces/default/deployments"

    static func deployment(_ name: String, replicas: Int64 = 1) -> JSONValue {
        var d = WorkloadTests.deployment(name)
        d[path: ["spec", "replicas"]] = .int(replicas)
        return d
    }

    static func message(kind: String, _ found: String, _ field: String, _ type: String) -> String {
        "\(kind) in version \"v1\" cannot be handled as a \(kind): json: cannot unmarshal \(found) into Go struct field \(field) of type \(type)"
    }

    @Test func outOfRangeIntegersAreBadRequestsOnEveryWritePath() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }

        // The request: accepted before, and it then brought the apiserver down.
        var surge = Self.deployment("surge", replicas: 2)
        surge[path: ["spec", "strategy", "rollingUpdate", "maxSurge"]] = .int(Int64.max)
        let refused = try await s.request("POST", Self.deployments, surge)
        #expect(refused.status == 400, "\(refused.text)")
        #expect(refused.body["reason"] == "BadRequest")
        #expect(refused.body["message"]?.string == Self.message(kind: "Deployment", "number 9223372036854775807",
                                                                "RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge", "int32"))

        let cases: [([String], JSONValue, String, String)] = [
            (["spec", "replicas"], .int(2_147_483_648), "number 2147483648", "DeploymentSpec.spec.replicas of type int32"),
            (["spec", "replicas"], .int(-2_147_483_649), "number -2147483649", "DeploymentSpec.spec.replicas of type int32"),
            (["spec", "replicas"], .double(1.5), "number 1.5", "DeploymentSpec.spec.replicas of type int32"),
            (["spec", "replicas"], .double(9_223_372_036_854_775_808), "number 9223372036854775808", "DeploymentSpec.spec.replicas of type int32"),
            (["spec", "replicas"], "3", "string", "DeploymentSpec.spec.replicas of type int32"),
            (["spec", "strategy", "rollingUpdate", "maxUnavailable"], .double(0.5), "number 0.5",
             "RollingUpdateDeployment.spec.strategy.rollingUpdate.maxUnavailable of type int32"),
            (["spec", "strategy", "rollingUpdate", "maxUnavailable"], true, "bool",
             "RollingUpdateDeployment.spec.strategy.rollingUpdate.maxUnavailable of type int32"),
            (["spec", "template", "spec", "terminationGracePeriodSeconds"], .double(1e19), "number 10000000000000000000",
             "PodSpec.spec.template.spec.terminationGracePeriodSeconds of type int64"),
            (["metadata", "labels"], "x", "string", "ObjectMeta.metadata.labels of type map[string]string"),
        ]
        for (i, (path, value, found, field)) in cases.enumerated() {
            var d = Self.deployment("case-\(i)")
            d[path: path] = value
            let reply = try await s.request("POST", Self.deployments, d)
            #expect(reply.status == 400, "\(path): \(reply.text)")
            #expect(reply.body["message"]?.string == "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal \(found) into Go struct field \(field)")
        }
        // Inside lists Go's path has no indexes.
        var port = Self.deployment("port")
        port[path: ["spec", "template", "spec", "containers"]] = [["name": "web", "image": "nginx", "ports": [["containerPort": .int(70_000_000_000)]]]]
        let ports = try await s.request("POST", Self.deployments, port)
        #expect(ports.body["message"]?.string == Self.message(kind: "Deployment", "number 70000000000",
                                                              "ContainerPort.spec.template.spec.containers.ports.containerPort", "int32"))

        // The same value through PUT, every patch type, apply, /status and /scale.
        let created = try await s.request("POST", Self.deployments, Self.deployment("web"))
        #expect(created.status == 201, "\(created.text)")
        var put = created.body
        put[path: ["spec", "replicas"]] = .int(Int64(Int32.max) + 1)
        let replaced = try await s.request("PUT", "\(Self.deployments)/web", put)
        #expect(replaced.status == 400 && replaced.body["message"]?.string?.contains("DeploymentSpec.spec.replicas of type int32") == true,
                "\(replaced.text)")
        let patches: [(String, JSONValue)] = [
            ("application/merge-patch+json", ["spec": ["strategy": ["rollingUpdate": ["maxSurge": .int(Int64.max)]]]]),
            ("application/strategic-merge-patch+json", ["spec": ["strategy": ["rollingUpdate": ["maxSurge": .int(Int64.max)]]]]),
            ("application/json-patch+json", [["op": "replace", "path": "/spec/strategy/rollingUpdate/maxSurge", "value": .int(Int64.max)]]),
        ]
        for (type, patch) in patches {
            let reply = try await s.request("PATCH", "\(Self.deployments)/web", patch, contentType: type)
            #expect(reply.status == 400, "\(type): \(reply.text)")
            #expect(reply.body["message"]?.string == Self.message(kind: "Deployment", "number 9223372036854775807",
                                                                  "RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge", "int32"))
        }
        var apply = Self.deployment("web")
        apply[path: ["spec", "strategy"]] = ["rollingUpdate": ["maxSurge": .int(Int64.max)]]
        let applied = try await s.request("PATCH", "\(Self.deployments)/web?fieldManager=test", apply, contentType: "application/apply-patch+yaml")
        #expect(applied.status == 400 && applied.body["message"]?.string?.contains("number 9223372036854775807") == true, "\(applied.text)")

        let status = try await s.request("PATCH", "\(Self.deployments)/web/status", ["status": ["replicas": .int(1 << 40)]],
                                         contentType: "application/merge-patch+json")
        #expect(status.status == 400, "\(status.text)")
        #expect(status.body["message"]?.string == Self.message(kind: "Deployment", "number 1099511627776",
                                                               "DeploymentStatus.status.replicas", "int32"))
        let observed = try await s.request("PATCH", "\(Self.deployments)/web/status", ["status": ["observedGeneration": .double(2.5)]],
                                           contentType: "application/merge-patch+json")
        #expect(observed.body["message"]?.string == Self.message(kind: "Deployment", "number 2.5",
                                                                 "DeploymentStatus.status.observedGeneration", "int64"))

        let scale = try await s.request("PATCH", "\(Self.deployments)/web/scale", ["spec": ["replicas": .int(Int64.max)]],
                                        contentType: "application/merge-patch+json")
        #expect(scale.status == 400)
        #expect(scale.body["message"]?.string == Self.message(kind: "Scale", "number 9223372036854775807", "ScaleSpec.spec.replicas", "int32"))

        // Nothing of that reached the object.
        let stored = try await s.request("GET", "\(Self.deployments)/web").body
        #expect(stored[path: ["spec", "replicas"]]?.int == 1 && stored[path: ["spec", "strategy", "rollingUpdate", "maxSurge"]] == "25%")
        #expect(stored[path: ["status", "replicas"]]?.int ?? 0 < 1 << 31)

        // A whole number written as a float is that integer (YAML and patches through floats give such numbers).
        let float = try await s.request("PATCH", "\(Self.deployments)/web", ["spec": ["replicas": .double(3)]],
                                        contentType: "application/merge-patch+json")
        #expect(float.status == 200 && float.body[path: ["spec", "replicas"]] == .int(3), "\(float.text)")
    }

    @Test func statusCountersOfEveryWorkloadAreDecodedAsInt32() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let kinds: [(String, JSONValue, String, String)] = [
            ("/apis/apps/v1/namespaces/default/replicasets", WorkloadFixtures.replicaSet("rs"), "readyReplicas", "ReplicaSetStatus"),
            ("/apis/apps/v1/namespaces/default/statefulsets", WorkloadFixtures.statefulSet("sts"), "collisionCount", "StatefulSetStatus"),
            ("/apis/apps/v1/namespaces/default/daemonsets", WorkloadFixtures.daemonSet("ds"), "numberReady", "DaemonSetStatus"),
            ("/apis/batch/v1/namespaces/default/jobs", WorkloadFixtures.job("job"), "failed", "JobStatus"),
        ]
        for (collection, object, field, goType) in kinds {
            let created = try await s.request("POST", collection, object)
            #expect(created.status == 201, "\(created.text)")
            let name = object.metaName
            let reply = try await s.request("PATCH", "\(collection)/\(name)/status", ["status": [field: .int(Int64(Int32.max) + 1)]],
                                            contentType: "application/merge-patch+json")
            let kind = object["kind"]?.string ?? ""
            #expect(reply.status == 400, "\(kind): \(reply.text)")
            #expect(reply.body["message"]?.string == Self.message(kind: kind, "number 2147483648", "\(goType).status.\(field)", "int32"))
        }
    }
}

/// Small valid objects of each workload kind.
enum WorkloadFixtures {
    static let labels: JSONValue = ["app": "fixture"]
    static func template(restartPolicy: String = "Always") -> JSONValue {
        ["metadata": ["labels": labels],
         "spec": ["restartPolicy": .string(restartPolicy), "containers": [["name": "c", "image": "busybox:1.36"]]]]
    }

    static func replicaSet(_ name: String, replicas: Int64 = 1) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": ["name": .string(name)],
         "spec": ["replicas": .int(replicas), "selector": ["matchLabels": labels], "template": template()]]
    }

    static func statefulSet(_ name: String, replicas: Int64 = 1) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": .string(name)],
         "spec": ["replicas": .int(replicas), "serviceName": .string(name), "selector": ["matchLabels": labels], "template": template()]]
    }

    static func daemonSet(_ name: String) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": .string(name)],
         "spec": ["selector": ["matchLabels": labels], "template": template()]]
    }

    static func job(_ name: String) -> JSONValue {
        ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name)],
         "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox:1.36"]]]]]]
    }

    static func cronJob(_ name: String) -> JSONValue {
        ["apiVersion": "batch/v1", "kind": "CronJob", "metadata": ["name": .string(name)],
         "spec": ["schedule": "*/5 * * * *", "jobTemplate": ["spec": job(name)["spec"] ?? .null]]]
    }

    static func pod(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
         "spec": ["containers": [["name": "c", "image": "busybox:1.36"]]]]
    }
}
