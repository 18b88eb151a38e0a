import ControllerRuntime
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Testing

/// Numbers a controller derives from objects stay within bounds whatever the objects hold, and objects an older
/// apiserver stored with values no write path accepts any more are reconciled around, not trapped on (moved from the
/// apiserver's tests when its in-process controllers went: the Deployment killed the process there).
@Suite struct WorkloadNumbersTests {
    static let max = JSONValue.int(Int64.max), min = JSONValue.int(Int64.min)

    @Test func derivedNumbersStayInBounds() {
        #expect(Workloads.wakeDelay(.nan) == 0.05 && Workloads.wakeDelay(-5) == 0.05 && Workloads.wakeDelay(0.2) == 0.2)
        #expect(Workloads.wakeDelay(.infinity) == 86_400 && Workloads.wakeDelay(1e300) == 86_400)
        let max32 = Int(Int32.max)
        #expect(Workloads.scaled(.int(Int.max), of: 2, roundUp: true, default: 1) == max32)
        #expect(Workloads.scaled(.int(Int.min), of: 2, roundUp: true, default: 1) == 0)
        #expect(Workloads.scaled(.string("99999999999999999999%"), of: 10, roundUp: true, default: 1) == 214_748_365)
        #expect(Workloads.scaled(.string("50%"), of: 3, roundUp: true, default: 1) == 2
                && Workloads.scaled(.string("50%"), of: 3, roundUp: false, default: 1) == 1)
        #expect(Workloads.scaled(.string("25%"), of: max32, roundUp: true, default: 1) == 536_870_912)
        #expect(Workloads.scaled(.string("x"), of: 3, roundUp: true, default: 1) == 1 && Workloads.scaled(nil, of: 3, roundUp: true, default: 4) == 4)
        #expect(Workloads.int32(Int.max) == Int32.max && Workloads.int32(-5) == -5)
    }

    static func template(_ app: String) -> JSONValue {
        ["metadata": ["labels": ["app": .string(app)]], "spec": podSpec]
    }

    static func workload(_ kind: String, _ name: String, app: String) -> JSONValue {
        ["apiVersion": kind == "Job" || kind == "CronJob" ? "batch/v1" : "apps/v1", "kind": .string(kind),
         "metadata": ["name": .string(name), "namespace": "default"],
         "spec": ["selector": ["matchLabels": ["app": .string(app)]], "template": template(app)]]
    }

    /// What StoredObjectSafetyTests stores past validation, as an older binary accepted it.
    static func hostileObjects() -> [(ResourceType, JSONValue)] {
        var deployment = workload("Deployment", "bad", app: "bad")
        deployment[path: ["spec", "replicas"]] = 2
        deployment[path: ["spec", "strategy"]] = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": max, "maxUnavailable": min]]
        deployment[path: ["spec", "revisionHistoryLimit"]] = min
        deployment[path: ["spec", "progressDeadlineSeconds"]] = .double(1e300)
        deployment[path: ["spec", "template", "spec", "terminationGracePeriodSeconds"]] = max
        deployment[path: ["metadata", "generation"]] = max
        deployment[path: ["metadata", "annotations"]] = ["deployment.kubernetes.io/revision": "9223372036854775807"]
        deployment["status"] = ["collisionCount": max, "observedGeneration": min, "replicas": max]

        var replicaSet = workload("ReplicaSet", "bad-rs", app: "bad-rs")
        replicaSet[path: ["spec", "replicas"]] = .double(-1e19)
        replicaSet[path: ["spec", "minReadySeconds"]] = max
        replicaSet["status"] = ["replicas": max, "readyReplicas": max, "availableReplicas": min]

        var statefulSet = workload("StatefulSet", "bad-sts", app: "bad-sts")
        statefulSet[path: ["spec", "replicas"]] = max
        statefulSet[path: ["spec", "serviceName"]] = "bad-sts"
        statefulSet[path: ["spec", "ordinals"]] = ["start": max]
        statefulSet[path: ["spec", "updateStrategy"]] = ["type": "RollingUpdate", "rollingUpdate": ["partition": min]]
        statefulSet["status"] = ["collisionCount": max]

        var daemonSet = workload("DaemonSet", "bad-ds", app: "bad-ds")
        daemonSet[path: ["spec", "updateStrategy"]] = ["type": "RollingUpdate",
                                                       "rollingUpdate": ["maxUnavailable": "99999999999999999999999%", "maxSurge": min]]

        var job = workload("Job", "bad-job", app: "bad-job")
        job[path: ["spec", "completions"]] = max
        job[path: ["spec", "parallelism"]] = 2
        job[path: ["spec", "completionMode"]] = "Indexed"
        job[path: ["spec", "backoffLimit"]] = min
        job[path: ["spec", "activeDeadlineSeconds"]] = max
        job[path: ["spec", "ttlSecondsAfterFinished"]] = max
        job["status"] = ["failed": max, "succeeded": max, "completedIndexes": "0-9223372036854775806,9223372036854775807"]

        var cronJob = workload("CronJob", "bad-cron", app: "bad-cron")
        cronJob["spec"] = ["schedule": "@every 1s", "startingDeadlineSeconds": min, "successfulJobsHistoryLimit": min,
                           "jobTemplate": ["spec": ["template": template("bad-cron")]]]
        cronJob["status"] = ["lastScheduleTime": "9999-12-31T23:59:59Z"]

        return [(.deployments, deployment), (.replicaSets, replicaSet), (.statefulSets, statefulSet), (.daemonSets, daemonSet),
                (.jobs, job), (.cronJobs, cronJob), (.nodes, ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "n1"]])]
    }

    @Test func objectsStoredWithImpossibleNumbersAreReconciledAround() async throws {
        let h = ControllerHarness(component: "test-controller", objects: Self.hostileObjects())
        let task = h.run(DeploymentController(context: h.context), ReplicaSetController(context: h.context),
                         StatefulSetController(context: h.context), DaemonSetController(context: h.context),
                         JobController(context: h.context), CronJobController(context: h.context))
        // The Deployment: its surge clamped to int32, a ReplicaSet of 2.
        try await eventually("bad's ReplicaSet of 2") {
            h.objects(.replicaSets).contains { $0.controllerOwner?.name == "bad" && $0[path: ["spec", "replicas"]] == 2 }
        }
        // The others' controllers still reconcile new objects.
        var good = Self.workload("Deployment", "good", app: "good")
        good[path: ["spec", "replicas"]] = 1
        _ = try await h.fake.create(.deployments, namespace: "default", good)
        try await eventually("good's pod") { h.objects(.pods).contains { $0.labels["app"] == "good" } }
        await h.stop(task)
    }
}
