@testable import APIServer
import KubeAPI
import KubeJSON
import Testing

/// Numbers every Go type can hold but the kind does not allow: upstream's 422 Invalid, field and wording.
@Suite struct NumericValidationTests {
    /// Fields to set (path, value) on a valid object, and the one error upstream reports for it.
    typealias Case = (changes: [([String], JSONValue)], message: String)

    static func set(_ path: [String], _ value: JSONValue, _ message: String) -> Case { ([(path, value)], message) }

    /// POSTs `base` once per case with the case's fields set, expecting exactly that one field error.
    static func expectInvalid(_ s: TestServer, _ collection: String, _ base: JSONValue, kind: String, _ cases: [Case],
                              sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for (i, c) in cases.enumerated() {
            var object = base
            let name = "\(base.metaName)-\(i)"
            object[path: ["metadata", "name"]] = .string(name)
            for (path, value) in c.changes { object[path: path] = value }
            let reply = try await s.request("POST", collection, object)
            #expect(reply.status == 422, "\(c.changes): \(reply.text)", sourceLocation: sourceLocation)
            #expect(reply.body["message"]?.string == "\(kind) \"\(name)\" is invalid: \(c.message)", sourceLocation: sourceLocation)
        }
    }

    static let container = ["spec", "template", "spec", "containers"]

    @Test func deploymentRanges() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let rolling = ["spec", "strategy", "rollingUpdate"]
        func containerWith(_ field: String, _ value: JSONValue) -> JSONValue {
            [["name": "web", "image": "nginx:1.27", .init(stringLiteral: field): value]]
        }
        try await Self.expectInvalid(s, NumericDecodingTests.deployments, WorkloadTests.deployment("d"), kind: "Deployment.apps", [
            Self.set(["spec", "minReadySeconds"], -1, "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0"),
            Self.set(["spec", "revisionHistoryLimit"], -3, "spec.revisionHistoryLimit: Invalid value: -3: must be greater than or equal to 0"),
            Self.set(["spec", "progressDeadlineSeconds"], 0, "spec.progressDeadlineSeconds: Invalid value: 0: must be greater than minReadySeconds"),
            Self.set(rolling + ["maxSurge"], -1, "spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"),
            Self.set(rolling + ["maxUnavailable"], "150%", "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%"),
            Self.set(rolling + ["maxSurge"], "x",
             "spec.strategy.rollingUpdate.maxSurge: Invalid value: x: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"),
            Self.set(rolling, ["maxSurge": 0, "maxUnavailable": "0%"],
             "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0%: may not be 0 when `maxSurge` is 0"),
            Self.set(["spec", "strategy"], ["type": "Recreate", "rollingUpdate": ["maxSurge": 1]],
             "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"),
            Self.set(Self.container, containerWith("ports", [["containerPort": 70000]]),
             "spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
            Self.set(Self.container, containerWith("ports", [["containerPort": 80, "hostPort": -1]]),
             "spec.template.spec.containers[0].ports[0].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive"),
            Self.set(Self.container, containerWith("ports", [["containerPort": 0]]),
             "spec.template.spec.containers[0].ports[0].containerPort: Required value"),
            Self.set(Self.container, containerWith("readinessProbe", ["httpGet": ["port": 8080], "periodSeconds": -5]),
             "spec.template.spec.containers[0].readinessProbe.periodSeconds: Invalid value: -5: must be greater than or equal to 0"),
            Self.set(Self.container, containerWith("livenessProbe", ["httpGet": ["port": 8080], "successThreshold": 2]),
             "spec.template.spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"),
            Self.set(Self.container, containerWith("livenessProbe", ["httpGet": ["port": 8080], "terminationGracePeriodSeconds": 0]),
             "spec.template.spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0"),
            Self.set(Self.container, containerWith("readinessProbe", ["tcpSocket": ["port": 65536]]),
             "spec.template.spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: 65536: must be between 1 and 65535, inclusive"),
            Self.set(Self.container, containerWith("readinessProbe", ["httpGet": ["port": "1234"]]),
             "spec.template.spec.containers[0].readinessProbe.httpGet.port: Invalid value: \"1234\": must contain at least one letter (a-z)"),
            Self.set(["spec", "template", "spec", "terminationGracePeriodSeconds"], -1,
             "spec.template.spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0"),
        ])
    }

    @Test func statefulSetDaemonSetJobAndCronJobRanges() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let rolling = ["spec", "updateStrategy", "rollingUpdate"]
        try await Self.expectInvalid(s, "/apis/apps/v1/namespaces/default/statefulsets", WorkloadFixtures.statefulSet("sts"),
                                     kind: "StatefulSet.apps", [
            Self.set(["spec", "replicas"], -1, "spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
            Self.set(["spec", "ordinals", "start"], -1, "spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0"),
            Self.set(rolling + ["partition"], -1, "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0"),
            Self.set(rolling + ["maxUnavailable"], 0, "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0"),
            Self.set(["spec", "minReadySeconds"], -1, "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0"),
        ])
        try await Self.expectInvalid(s, "/apis/apps/v1/namespaces/default/daemonsets", WorkloadFixtures.daemonSet("ds"),
                                     kind: "DaemonSet.apps", [
            Self.set(rolling + ["maxSurge"], 1, "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero"),
            Self.set(rolling, ["maxSurge": 0, "maxUnavailable": 0],
             "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"),
            Self.set(rolling + ["maxUnavailable"], "101%", "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 101%: must not be greater than 100%"),
            Self.set(["spec", "revisionHistoryLimit"], -1, "spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"),
        ])
        try await Self.expectInvalid(s, "/apis/batch/v1/namespaces/default/jobs", WorkloadFixtures.job("job"), kind: "Job.batch", [
            Self.set(["spec", "activeDeadlineSeconds"], -1, "spec.activeDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0"),
            Self.set(["spec", "ttlSecondsAfterFinished"], -1, "spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0"),
            Self.set(["spec", "backoffLimit"], -1, "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"),
            ([(["spec", "completionMode"], "Indexed"), (["spec", "completions"], 200_000), (["spec", "parallelism"], 100_001)],
             "spec.parallelism: Invalid value: 100001: must be less than or equal to 100000 when completion mode is Indexed"),
        ])
        try await Self.expectInvalid(s, "/apis/batch/v1/namespaces/default/cronjobs", WorkloadFixtures.cronJob("cron"), kind: "CronJob.batch", [
            Self.set(["spec", "startingDeadlineSeconds"], -1, "spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0"),
            Self.set(["spec", "successfulJobsHistoryLimit"], -1, "spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0"),
            Self.set(["spec", "jobTemplate", "spec", "parallelism"], -2,
             "spec.jobTemplate.spec.parallelism: Invalid value: -2: must be greater than or equal to 0"),
        ])
    }

    @Test func podAndServiceRanges() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        try await Self.expectInvalid(s, "/api/v1/namespaces/default/pods", WorkloadFixtures.pod("p"), kind: "Pod", [
            Self.set(["spec", "activeDeadlineSeconds"], 0, "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"),
            Self.set(["spec", "activeDeadlineSeconds"], .int(Int64(Int32.max) + 1),
             "spec.activeDeadlineSeconds: Invalid value: 2147483648: must be between 1 and 2147483647, inclusive"),
        ])
        let service: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "svc"],
                                  "spec": ["ports": [["port": 80]]]]
        try await Self.expectInvalid(s, "/api/v1/namespaces/default/services", service, kind: "Service", [
            Self.set(["spec", "ports"], [["port": 70000, "targetPort": 80]],
                     "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"),
            Self.set(["spec", "ports"], [["port": 80, "targetPort": 70000]],
             "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
            Self.set(["spec", "ports"], [["port": 80, "nodePort": 30080]], "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"),
            ([(["spec", "type"], "NodePort"), (["spec", "ports"], [["port": 80, "nodePort": 80]])],
             "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"),
        ])
    }

    @Test func statusWritesAreValidatedAsUpstreamsStatusUpdates() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let created = try await s.request("POST", NumericDecodingTests.deployments, WorkloadTests.deployment("web"))
        #expect(created.status == 201)
        func patchStatus(_ status: JSONValue) async throws -> TestServer.Reply {
            try await s.request("PATCH", "\(NumericDecodingTests.deployments)/web/status", ["status": status],
                                contentType: "application/merge-patch+json")
        }
        // Every counter is given: the deployment controller writes this status too.
        let negative = try await patchStatus(["replicas": -1, "updatedReplicas": 0, "readyReplicas": 0, "availableReplicas": 0])
        #expect(negative.status == 422)
        #expect(negative.body["message"]?.string == #"Deployment.apps "web" is invalid: [status.replicas: Invalid value: -1: must be greater than or equal to 0, "#
            + #"status.updatedReplicas: Invalid value: 0: cannot be greater than status.replicas, "#
            + #"status.readyReplicas: Invalid value: 0: cannot be greater than status.replicas, "#
            + #"status.availableReplicas: Invalid value: 0: cannot be greater than status.replicas]"#)
        let ready = try await patchStatus(["replicas": 1, "updatedReplicas": 1, "readyReplicas": 5, "availableReplicas": 1])
        #expect(ready.body["message"]?.string == #"Deployment.apps "web" is invalid: status.readyReplicas: Invalid value: 5: cannot be greater than status.replicas"#)
        let available = try await patchStatus(["replicas": 3, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 2])
        #expect(available.body["message"]?.string == #"Deployment.apps "web" is invalid: status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas"#)
        let collisions = try await patchStatus(["collisionCount": 3])
        #expect(collisions.status == 200, "\(collisions.text)")
        let decremented = try await patchStatus(["collisionCount": 2])
        #expect(decremented.body["message"]?.string == #"Deployment.apps "web" is invalid: status.collisionCount: Invalid value: 2: cannot be decremented"#)

        // A spec update leaves the status alone, so a stored status is not re-judged by it.
        let scaled = try await s.request("PATCH", "\(NumericDecodingTests.deployments)/web", ["spec": ["replicas": 2]],
                                         contentType: "application/merge-patch+json")
        #expect(scaled.status == 200, "\(scaled.text)")
    }
}
