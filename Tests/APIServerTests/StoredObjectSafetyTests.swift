@testable import APIServer
import Foundation
import KubeAPI
import KubeJSON
import Testing

/// A stored object must never be able to take the apiserver down: objects already in the store with values no write
/// path accepts any more (an older binary's data, written here past validation) are served, and mutations of every
/// numeric field of every workload kind end in a 4xx, never a 5xx or a dead server, across a restart on the same
/// data. (kube-controller-manager's controllers meeting such objects: ControllerManagerTests' WorkloadNumbersTests.)
@Suite struct StoredObjectSafetyTests {
    static let max = JSONValue.int(Int64.max), min = JSONValue.int(Int64.min)

    /// Stores `object` under its kind's key directly, as an older apiserver binary would have left it.
    static func storeRaw(_ s: TestServer, _ group: String, _ resource: String, _ object: JSONValue) async throws {
        guard let store = s.api.store(group, "v1", resource) else { throw TestFailure("no store for \(resource)") }
        var o = object
        o[path: ["metadata", "namespace"]] = "default"
        o[path: ["metadata", "uid"]] = .string(UUID().uuidString.lowercased())
        o[path: ["metadata", "creationTimestamp"]] = "2026-01-01T00:00:00Z"
        _ = try await s.api.storage.create(store.definition.key(namespace: "default", name: o.metaName), value: JSONWriter.write(o))
    }

    static func ready(_ s: TestServer) async throws -> Bool {
        try await s.request("GET", "/readyz").status == 200
    }

    /// A new Deployment is taken and listed beside the stored ones.
    static func acceptsNewObjects(_ s: TestServer, name: String) async throws {
        let created = try await s.request("POST", NumericDecodingTests.deployments, WorkloadTests.deployment(name, selector: ["app": name],
                                                                                                            labels: ["app": name]))
        #expect(created.status == 201, "\(created.text)")
        let listed = try await s.request("GET", NumericDecodingTests.deployments).body["items"]?.array ?? []
        #expect(listed.contains { $0.metaName == name })
    }

    @Test func objectsStoredWithImpossibleNumbersAreServedAcrossARestart() async throws {
        let first = try await TestServer.start()
        // The Deployment, and worse, as an older binary accepted them.
        var deployment = WorkloadTests.deployment("bad", selector: ["app": "bad"], labels: ["app": "bad"])
        deployment[path: ["spec", "replicas"]] = 2
        deployment[path: ["spec", "strategy"]] = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": Self.max, "maxUnavailable": Self.min]]
        deployment[path: ["spec", "revisionHistoryLimit"]] = Self.min
        deployment[path: ["spec", "progressDeadlineSeconds"]] = .double(1e300)
        deployment[path: ["spec", "template", "spec", "terminationGracePeriodSeconds"]] = Self.max
        deployment[path: ["metadata", "generation"]] = Self.max
        deployment[path: ["metadata", "annotations"]] = ["deployment.kubernetes.io/revision": "9223372036854775807"]
        deployment["status"] = ["collisionCount": Self.max, "observedGeneration": Self.min, "replicas": "many"]
        try await Self.storeRaw(first, "apps", "deployments", deployment)

        var replicaSet = WorkloadFixtures.replicaSet("bad-rs")
        replicaSet[path: ["spec", "replicas"]] = .double(-1e19)
        replicaSet[path: ["spec", "minReadySeconds"]] = Self.max
        replicaSet["status"] = ["replicas": Self.max, "readyReplicas": Self.max, "availableReplicas": Self.min]
        try await Self.storeRaw(first, "apps", "replicasets", replicaSet)

        var statefulSet = WorkloadFixtures.statefulSet("bad-sts")
        statefulSet[path: ["spec", "replicas"]] = Self.max
        statefulSet[path: ["spec", "ordinals"]] = ["start": Self.max]
        statefulSet[path: ["spec", "updateStrategy"]] = ["type": "RollingUpdate", "rollingUpdate": ["partition": Self.min]]
        statefulSet["status"] = ["collisionCount": Self.max]
        try await Self.storeRaw(first, "apps", "statefulsets", statefulSet)

        var daemonSet = WorkloadFixtures.daemonSet("bad-ds")
        daemonSet[path: ["spec", "updateStrategy"]] = ["type": "RollingUpdate",
                                                       "rollingUpdate": ["maxUnavailable": "99999999999999999999999%", "maxSurge": Self.min]]
        try await Self.storeRaw(first, "apps", "daemonsets", daemonSet)

        var job = WorkloadFixtures.job("bad-job")
        job[path: ["spec", "completions"]] = Self.max
        job[path: ["spec", "parallelism"]] = 2
        job[path: ["spec", "completionMode"]] = "Indexed"
        job[path: ["spec", "backoffLimit"]] = Self.min
        job[path: ["spec", "activeDeadlineSeconds"]] = Self.max
        job[path: ["spec", "ttlSecondsAfterFinished"]] = Self.max
        job[path: ["spec", "selector"]] = ["matchLabels": ["job": "bad"]]
        job[path: ["spec", "manualSelector"]] = true
        job[path: ["spec", "template", "metadata"]] = ["labels": ["job": "bad"]]
        job["status"] = ["failed": Self.max, "succeeded": Self.max, "completedIndexes": "0-9223372036854775806,9223372036854775807"]
        try await Self.storeRaw(first, "batch", "jobs", job)

        var cronJob = WorkloadFixtures.cronJob("bad-cron")
        cronJob[path: ["spec", "schedule"]] = "@every 1s"
        cronJob[path: ["spec", "startingDeadlineSeconds"]] = Self.min
        cronJob[path: ["spec", "successfulJobsHistoryLimit"]] = Self.min
        cronJob["status"] = ["lastScheduleTime": "9999-12-31T23:59:59Z"]
        try await Self.storeRaw(first, "batch", "cronjobs", cronJob)

        var pod = WorkloadFixtures.pod("bad-pod")
        pod["status"] = ["phase": "Running", "containerStatuses": [
            ["name": "c", "restartCount": Self.max, "ready": true, "image": "busybox", "imageID": "",
             "lastState": ["terminated": ["exitCode": Self.max, "finishedAt": "0001-01-01T00:00:00Z"]]],
            ["name": "d", "restartCount": Self.max, "ready": true, "image": "busybox", "imageID": ""],
        ]]
        pod[path: ["spec", "activeDeadlineSeconds"]] = Self.max
        try await Self.storeRaw(first, "", "pods", pod)

        // The server starts on them, where the apiserver died on every restart.
        let s = try await first.restarted()
        defer { Task { await s.stop() } }
        #expect(try await Self.ready(s))

        // Reads and tables of them work.
        for (uri, name) in [("/apis/apps/v1/namespaces/default/deployments", "bad"), ("/apis/apps/v1/namespaces/default/replicasets", "bad-rs"),
                            ("/apis/apps/v1/namespaces/default/statefulsets", "bad-sts"), ("/apis/apps/v1/namespaces/default/daemonsets", "bad-ds"),
                            ("/apis/batch/v1/namespaces/default/jobs", "bad-job"), ("/apis/batch/v1/namespaces/default/cronjobs", "bad-cron"),
                            ("/api/v1/namespaces/default/pods", "bad-pod")] {
            let one = try await s.request("GET", "\(uri)/\(name)")
            #expect(one.status == 200, "\(uri)/\(name): \(one.text)")
            let table = try await s.request("GET", uri, accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
            #expect(table.status == 200, "\(uri): \(table.text)")
        }
        let pods = try await s.request("GET", "/api/v1/namespaces/default/pods/bad-pod", accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
        #expect(pods.body[path: ["rows"]]?.array?.first?["cells"]?.array?.dropFirst(3).first?.string?.hasPrefix("9223372036854775807") == true,
                "\(pods.text)")

        try await Self.acceptsNewObjects(s, name: "good")
        #expect(try await Self.ready(s))

        // A bad object can still be fixed (a write that corrects the field) and deleted.
        let fixed = try await s.request("PATCH", "\(NumericDecodingTests.deployments)/bad",
                                        ["spec": ["strategy": ["rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]], "revisionHistoryLimit": 2,
                                                  "progressDeadlineSeconds": 600,
                                                  "template": ["spec": ["terminationGracePeriodSeconds": 30]]]],
                                        contentType: "application/merge-patch+json")
        #expect(fixed.status == 200, "\(fixed.text)")
        // A PUT of the object as read back keeps the store's bad values it does not touch; it may not add new ones.
        var replica = try await s.request("GET", "/apis/apps/v1/namespaces/default/replicasets/bad-rs").body
        replica[path: ["metadata", "labels"]] = ["touched": "yes"]
        let relabelled = try await s.request("PUT", "/apis/apps/v1/namespaces/default/replicasets/bad-rs", replica)
        #expect(relabelled.status == 200, "\(relabelled.text)")
        replica = relabelled.body
        replica[path: ["spec", "template", "spec", "priority"]] = Self.max
        let worse = try await s.request("PUT", "/apis/apps/v1/namespaces/default/replicasets/bad-rs", replica)
        #expect(worse.status == 400 && worse.body["message"]?.string?.contains("PodSpec.spec.template.spec.priority of type int32") == true,
                "\(worse.text)")
        for (uri, name) in [("/apis/apps/v1/namespaces/default/statefulsets", "bad-sts"), ("/apis/batch/v1/namespaces/default/jobs", "bad-job"),
                            ("/api/v1/namespaces/default/pods", "bad-pod")] {
            let deleted = try await s.request("DELETE", "\(uri)/\(name)")
            #expect(deleted.status == 200, "\(uri)/\(name): \(deleted.text)")
        }
    }

    /// The values e2e/fuzz-apiserver.py puts into numeric fields: Go's int64 and int32 edges, fractions, huge floats,
    /// numbers as strings, and the other JSON types.
    static let hostileValues: [JSONValue] = [
        .int(Int64.max), .int(Int64.min), .int(Int64(Int32.max) + 1), .int(Int64(Int32.min) - 1), -1, 0, .double(1.5),
        .double(1e300), .double(-1e300), .double(9_223_372_036_854_775_808), "7", "x", "1e3%", .null, true, [1], ["a": 1],
    ]

    struct Kind {
        var collection: String
        var base: JSONValue
        var spec: [[String]]
        var status: [[String]]
        var scalable = false
    }

    static func kinds() -> [Kind] {
        let rolling = ["spec", "strategy", "rollingUpdate"], update = ["spec", "updateStrategy", "rollingUpdate"]
        let template = ["spec", "template", "spec"]
        return [
            Kind(collection: "/apis/apps/v1/namespaces/default/deployments", base: WorkloadTests.deployment("fz-deploy"),
                 spec: [["spec", "replicas"], ["spec", "minReadySeconds"], ["spec", "revisionHistoryLimit"], ["spec", "progressDeadlineSeconds"],
                        rolling + ["maxSurge"], rolling + ["maxUnavailable"], template + ["terminationGracePeriodSeconds"], template + ["priority"]],
                 status: [["status", "replicas"], ["status", "readyReplicas"], ["status", "collisionCount"], ["status", "observedGeneration"]],
                 scalable: true),
            Kind(collection: "/apis/apps/v1/namespaces/default/replicasets", base: WorkloadFixtures.replicaSet("fz-rs", replicas: 0),
                 spec: [["spec", "replicas"], ["spec", "minReadySeconds"]],
                 status: [["status", "replicas"], ["status", "availableReplicas"], ["status", "fullyLabeledReplicas"]], scalable: true),
            Kind(collection: "/apis/apps/v1/namespaces/default/statefulsets", base: WorkloadFixtures.statefulSet("fz-sts", replicas: 0),
                 spec: [["spec", "replicas"], ["spec", "ordinals", "start"], update + ["partition"], update + ["maxUnavailable"], ["spec", "minReadySeconds"]],
                 status: [["status", "replicas"], ["status", "currentReplicas"], ["status", "collisionCount"]], scalable: true),
            Kind(collection: "/apis/apps/v1/namespaces/default/daemonsets", base: WorkloadFixtures.daemonSet("fz-ds"),
                 spec: [["spec", "minReadySeconds"], ["spec", "revisionHistoryLimit"], update + ["maxUnavailable"], update + ["maxSurge"]],
                 status: [["status", "numberReady"], ["status", "desiredNumberScheduled"], ["status", "collisionCount"]]),
            Kind(collection: "/apis/batch/v1/namespaces/default/jobs", base: WorkloadFixtures.job("fz-job"),
                 spec: [["spec", "parallelism"], ["spec", "completions"], ["spec", "activeDeadlineSeconds"], ["spec", "backoffLimit"],
                        ["spec", "ttlSecondsAfterFinished"]],
                 status: [["status", "active"], ["status", "failed"], ["status", "succeeded"], ["status", "startTime"]]),
            Kind(collection: "/apis/batch/v1/namespaces/default/cronjobs", base: WorkloadFixtures.cronJob("fz-cron"),
                 spec: [["spec", "startingDeadlineSeconds"], ["spec", "successfulJobsHistoryLimit"], ["spec", "failedJobsHistoryLimit"],
                        ["spec", "jobTemplate", "spec", "parallelism"], ["spec", "jobTemplate", "spec", "activeDeadlineSeconds"]],
                 status: [["status", "lastScheduleTime"]]),
            Kind(collection: "/api/v1/namespaces/default/pods", base: WorkloadFixtures.pod("fz-pod"),
                 spec: [["spec", "activeDeadlineSeconds"], ["spec", "terminationGracePeriodSeconds"], ["spec", "priority"]],
                 status: [["status", "startTime"]]),
        ]
    }

    /// The same value in list elements: container ports, probes and container statuses.
    static func listMutations(_ value: JSONValue) -> [([String], JSONValue)] {
        let container: (String, JSONValue) -> JSONValue = { field, v in [["name": "c", "image": "busybox:1.36", .init(stringLiteral: field): v]] }
        return [
            (["spec", "template", "spec", "containers"], container("ports", [["containerPort": value, "hostPort": value]])),
            (["spec", "template", "spec", "containers"], container("livenessProbe", ["tcpSocket": ["port": value], "periodSeconds": value])),
            (["spec", "template", "spec", "containers"], container("readinessProbe", ["httpGet": ["port": value], "initialDelaySeconds": value])),
        ]
    }

    @Test func hostileNumbersInEveryWorkloadKindNeverGive5xxAndSurviveARestart() async throws {
        let first = try await TestServer.start()
        var requests = 0
        func send(_ method: String, _ uri: String, _ body: JSONValue?, _ type: String = "application/json",
                  sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let reply = try await first.request(method, uri, body, contentType: type)
            requests += 1
            #expect(reply.status < 500, "\(method) \(uri) \(body.map(JSONWriter.string) ?? ""): \(reply.text)", sourceLocation: sourceLocation)
        }
        var serial = 0
        for kind in Self.kinds() {
            let name = kind.base.metaName
            let created = try await first.request("POST", kind.collection, kind.base)
            #expect(created.status == 201, "\(kind.collection): \(created.text)")
            let one = "\(kind.collection)/\(name)"
            for value in Self.hostileValues {
                var changes = kind.spec.map { ($0, value) }
                if kind.base["kind"]?.string != "Pod", kind.base["kind"]?.string != "CronJob" { changes += Self.listMutations(value) }
                for (path, v) in changes {
                    serial += 1
                    var fresh = kind.base
                    fresh[path: ["metadata", "name"]] = .string("\(name)-\(serial)")
                    fresh[path: path] = v
                    try await send("POST", kind.collection, fresh)
                    var patch: JSONValue = .emptyObject
                    patch[path: path] = v
                    try await send("PATCH", one, patch, "application/merge-patch+json")
                    try await send("PATCH", one, patch, "application/strategic-merge-patch+json")
                    try await send("PATCH", one, [["op": "add", "path": .string("/" + path.joined(separator: "/")), "value": v]],
                                   "application/json-patch+json")
                    var apply = kind.base
                    apply[path: path] = v
                    try await send("PATCH", "\(one)?fieldManager=fuzz&force=true", apply, "application/apply-patch+yaml")
                    var current = try await first.request("GET", one).body
                    current[path: path] = v
                    try await send("PUT", one, current)
                    // A dropped field.
                    var dropped = try await first.request("GET", one).body
                    dropped[path: path] = nil
                    try await send("PUT", one, dropped)
                }
                for path in kind.status {
                    var patch: JSONValue = .emptyObject
                    patch[path: path] = value
                    try await send("PATCH", "\(one)/status", patch, "application/merge-patch+json")
                    var current = try await first.request("GET", one).body
                    current[path: path] = value
                    try await send("PUT", "\(one)/status", current)
                }
                if kind.scalable {
                    try await send("PATCH", "\(one)/scale", ["spec": ["replicas": value]], "application/merge-patch+json")
                    try await send("PUT", "\(one)/scale", ["apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": ["name": .string(name)],
                                                            "spec": ["replicas": value]])
                }
            }
            // Tables of whatever was accepted.
            try await send("GET", kind.collection, nil)
            let table = try await first.request("GET", kind.collection, accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
            #expect(table.status == 200, "\(kind.collection): \(table.text)")
        }
        #expect(requests > 3000)
        #expect(try await Self.ready(first))

        let s = try await first.restarted()
        defer { Task { await s.stop() } }
        #expect(try await Self.ready(s))
        try await Self.acceptsNewObjects(s, name: "after-fuzz")
        #expect(try await Self.ready(s))
    }
}
