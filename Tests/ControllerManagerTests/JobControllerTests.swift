import ControllerRuntime
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Testing

/// The job controller on a fake API and a fake clock. There is no kubelet: pods are finished by writing their status.
@Suite struct JobControllerTests {
    static func job(_ name: String, _ spec: JSONValue = .emptyObject) -> JSONValue {
        var j: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name), "namespace": "default"],
                            "spec": ["template": ["metadata": ["labels": ["job-name": .string(name)]], "spec": podSpec]]]
        for (key, value) in spec.object ?? [:] { j[path: ["spec", key]] = value }
        return j
    }

    func pods(_ h: ControllerHarness, of job: String) -> [JSONValue] {
        h.objects(.pods).filter { $0.controllerOwner?.name == job }
    }

    func finish(_ h: ControllerHarness, _ pod: JSONValue, _ phase: String, at time: String? = nil) async throws {
        var status: JSONValue = ["phase": .string(phase)]
        if let time {
            status["containerStatuses"] = [["name": "c", "state": ["terminated": ["exitCode": phase == "Failed" ? 1 : 0, "finishedAt": .string(time)]]]]
        }
        try await h.setPodStatus(pod.name, status)
    }

    @Test func aJobCompletesWhenItsPodsSucceed() async throws {
        let h = ControllerHarness(component: JobController.component,
                                  objects: [(.jobs, Self.job("work", ["completions": 3, "parallelism": 2]))])
        let task = h.run(JobController(context: h.context))
        var running: [JSONValue] = []
        try await eventually("two pods") {
            running = pods(h, of: "work")
            return running.count == 2
        }
        #expect(running.allSatisfy { $0.finalizers == [JobController.trackingFinalizer] && $0.name.hasPrefix("work-") })
        #expect(running.allSatisfy { $0.controllerOwner?.kind == "Job" })
        try await finish(h, running[0], "Succeeded")
        try await eventually("one success counted and a third pod") {
            let job = h.get(.jobs, "work")
            return job?[path: ["status", "succeeded"]] == 1 && pods(h, of: "work").count == 3 && job?[path: ["status", "active"]] == 2
        }
        #expect(h.get(.pods, running[0].name)?.finalizers == [], "the counted pod lets go of the tracking finalizer")
        #expect(h.get(.jobs, "work")?[path: ["status", "startTime"]] != nil)

        for pod in pods(h, of: "work") where pod[path: ["status", "phase"]] != "Succeeded" {
            try await finish(h, pod, "Succeeded")
        }
        try await eventually("Complete") { h.get(.jobs, "work")?.trueCondition("Complete") != nil }
        let job = try #require(h.get(.jobs, "work"))
        #expect(job.trueCondition("SuccessCriteriaMet")?["reason"] == "CompletionsReached")
        #expect(job.trueCondition("Complete")?["message"] == "Reached expected number of succeeded pods")
        #expect(job[path: ["status", "succeeded"]] == 3 && job[path: ["status", "active"]] == nil)
        #expect(job[path: ["status", "completionTime"]]?.string == h.clock.timestamp())
        #expect(job[path: ["status", "uncountedTerminatedPods"]] == .emptyObject)
        #expect(pods(h, of: "work").count == 3, "no pod beyond the completions")
        #expect(pods(h, of: "work").allSatisfy { $0.finalizers.isEmpty })
        let events = await h.events(about: "work")
        #expect(events.contains { $0["reason"] == "Completed" && $0[path: ["source", "component"]] == "job-controller" })
        #expect(events.filter { $0["reason"] == "SuccessfulCreate" }.count == 3)
        await h.stop(task)
    }

    @Test func failuresBeyondTheBackoffLimitFailTheJob() async throws {
        let h = ControllerHarness(component: JobController.component, objects: [(.jobs, Self.job("flaky", ["backoffLimit": 0]))])
        let task = h.run(JobController(context: h.context))
        var first: [JSONValue] = []
        try await eventually("a pod") {
            first = pods(h, of: "flaky")
            return first.count == 1
        }
        try await finish(h, first[0], "Failed")
        try await eventually("Failed") { h.get(.jobs, "flaky")?.trueCondition("Failed") != nil }
        let job = try #require(h.get(.jobs, "flaky"))
        #expect(job.trueCondition("FailureTarget")?["reason"] == "BackoffLimitExceeded")
        #expect(job.trueCondition("Failed")?["message"] == "Job has reached the specified backoff limit")
        #expect(job[path: ["status", "failed"]] == 1 && job[path: ["status", "completionTime"]] == nil)
        #expect(pods(h, of: "flaky").count == 1, "a failed job makes no more pods")
        let events = await h.events(about: "flaky")
        #expect(events.contains { $0["reason"] == "BackoffLimitExceeded" && $0["type"] == "Warning" })
        await h.stop(task)
    }

    @Test func aFailedPodIsReplacedAfterABackoff() async throws {
        let h = ControllerHarness(component: JobController.component, objects: [(.jobs, Self.job("retry", ["backoffLimit": 2]))])
        let task = h.run(JobController(context: h.context))
        var first: [JSONValue] = []
        try await eventually("a pod") {
            first = pods(h, of: "retry")
            return first.count == 1
        }
        let failedAt = h.clock.now()
        try await finish(h, first[0], "Failed", at: h.clock.timestamp())
        try await eventually("the failure counted") { h.get(.jobs, "retry")?[path: ["status", "failed"]] == 1 }
        #expect(pods(h, of: "retry").count == 1, "no replacement before the backoff")
        // The first retry waits ten seconds from the failure.
        try await h.advance(by: 2, until: "a replacement pod") { pods(h, of: "retry").count == 2 }
        #expect(h.clock.now() - failedAt >= 10, "replaced \(h.clock.now() - failedAt)s after the failure")
        try await eventually("the replacement counted") {
            let job = h.get(.jobs, "retry")
            return job?[path: ["status", "active"]] == 1 && job?[path: ["status", "failed"]] == 1 && job?.trueCondition("Failed") == nil
        }
        await h.stop(task)
    }

    @Test func anActiveDeadlineFailsTheJobAndStopsItsPods() async throws {
        let h = ControllerHarness(component: JobController.component, objects: [(.jobs, Self.job("slow", ["activeDeadlineSeconds": 30]))])
        let task = h.run(JobController(context: h.context))
        try await eventually("a pod") { pods(h, of: "slow").count == 1 }
        let started = h.clock.now()
        // The pod keeps its finalizer until counted, so the fake API holds it as terminating until the controller lets go.
        try await h.advance(by: 10, until: "Failed") { h.get(.jobs, "slow")?.trueCondition("Failed") != nil }
        #expect(h.clock.now() - started >= 30)
        let job = try #require(h.get(.jobs, "slow"))
        #expect(job.trueCondition("FailureTarget")?["reason"] == "DeadlineExceeded")
        #expect(job.trueCondition("Failed")?["message"] == "Job was active longer than specified deadline")
        #expect(pods(h, of: "slow").isEmpty, "the deleted pod was let go of and is gone")
        #expect(job[path: ["status", "failed"]] == 1)
        await h.stop(task)
    }

    @Test func indexedJobsGiveEachPodItsIndex() async throws {
        let h = ControllerHarness(component: JobController.component,
                                  objects: [(.jobs, Self.job("idx", ["completions": 3, "parallelism": 2, "completionMode": "Indexed"]))])
        let task = h.run(JobController(context: h.context))
        var running: [JSONValue] = []
        try await eventually("two pods") {
            running = pods(h, of: "idx")
            return running.count == 2
        }
        let indexes = running.compactMap { $0[path: ["metadata", "annotations", JobController.indexAnnotation]]?.string }.sorted()
        #expect(indexes == ["0", "1"])
        for pod in running {
            let index = pod[path: ["metadata", "annotations", JobController.indexAnnotation]]?.string ?? "?"
            #expect(pod.name.hasPrefix("idx-\(index)-") && pod[path: ["spec", "hostname"]]?.string == "idx-\(index)")
            #expect(pod.labels[JobController.indexAnnotation] == index)
            #expect(pod[path: ["spec", "containers"]]?.array?.first?["env"]?.array?.first?["name"] == "JOB_COMPLETION_INDEX")
        }
        let second = try #require(running.first { $0.name.hasPrefix("idx-1-") })
        try await finish(h, second, "Succeeded")
        try await eventually("index 1 completed and index 2 started") {
            h.get(.jobs, "idx")?[path: ["status", "completedIndexes"]] == "1" && pods(h, of: "idx").contains { $0.name.hasPrefix("idx-2-") }
        }
        await h.stop(task)
    }

    @Test func aSuspendedJobRunsNothingUntilResumed() async throws {
        let h = ControllerHarness(component: JobController.component, objects: [(.jobs, Self.job("later", ["suspend": true]))])
        let task = h.run(JobController(context: h.context))
        try await eventually("Suspended") { h.get(.jobs, "later")?.trueCondition("Suspended")?["reason"] == "JobSuspended" }
        #expect(pods(h, of: "later").isEmpty && h.get(.jobs, "later")?[path: ["status", "startTime"]] == nil)
        _ = try await h.fake.retryUpdate(.jobs, namespace: "default", name: "later") { current in
            var next = current
            next[path: ["spec", "suspend"]] = false
            return next
        }
        try await eventually("a pod") { pods(h, of: "later").count == 1 }
        try await eventually("resumed") {
            let job = h.get(.jobs, "later")
            return job?[path: ["status", "conditions"]]?.array?.contains {
                $0["type"] == "Suspended" && $0["status"] == "False" && $0["reason"] == "JobResumed"
            } == true && job?[path: ["status", "startTime"]] != nil
        }
        await h.stop(task)
    }

    @Test func aFailedCreationIsRetriedWithTheQueuesBackoff() async throws {
        // A status that the first sync leaves as it is: no write, so no event of its own queues the Job again.
        var job = Self.job("unlucky")
        job["status"] = ["startTime": .string(FakeClock().timestamp()), "ready": 0, "terminating": 0, "uncountedTerminatedPods": .emptyObject]
        let h = ControllerHarness(component: JobController.component, objects: [(.jobs, job)])
        h.fake.failNext("create", .pods, with: APIError(code: 500, reason: "InternalError", message: "etcd is away"))
        let task = h.run(JobController(context: h.context))
        try await eventually("the FailedCreate event") {
            await h.events(about: "unlucky").contains { $0["reason"] == "FailedCreate" && $0["message"] == "Error creating: etcd is away" }
        }
        #expect(pods(h, of: "unlucky").isEmpty)
        // The retry waits on the queue's rate limiter, on the fake clock.
        try await h.advance(by: 1)
        try await eventually("the retry's pod") { pods(h, of: "unlucky").count == 1 }
        await h.stop(task)
    }

    @Test func podsOfADeletedJobLetGoOfTheirFinalizer() async throws {
        let h = ControllerHarness(component: JobController.component, objects: [(.jobs, Self.job("gone"))])
        let task = h.run(JobController(context: h.context))
        try await eventually("a pod") { pods(h, of: "gone").count == 1 }
        try await h.fake.delete(.jobs, namespace: "default", name: "gone")
        try await eventually("the finalizer released") { pods(h, of: "gone").allSatisfy { $0.finalizers.isEmpty } }
        await h.stop(task)
    }

    @Test func completedIndexesStayIntervals() {
        let many = CompletedIndexes((0..<100).map { "\($0 * 1_000_000)-\($0 * 1_000_000 + 999_999)" }.joined(separator: ","), below: Int(Int32.max))
        #expect(many.count == 100_000_000 && many.intervals == [0...99_999_999] && many.description == "0-99999999")
        #expect(many.firstMissing(from: 0) == 100_000_000)
        let odd = CompletedIndexes("9-12,x,3-1,0,-4,2-3,1-2-3,0-9223372036854775807,99999999999999999999", below: 10)
        #expect(odd.intervals == [0...9])
        let sparse = CompletedIndexes("7,1,3-4", below: 10)
        #expect(sparse.description == "1,3-4,7" && sparse.firstMissing(from: 3) == 5)
        #expect(sparse.adding([2, 5, 6, 12, -1], below: 10).description == "1-7")
    }
}
