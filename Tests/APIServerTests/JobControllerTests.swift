@testable import APIServer
import Foundation
import KubeJSON
import Logging
import Testing

/// The in-process job, ttl-after-finished and cronjob controllers. There is no kubelet here: pods are finished by
/// writing their status as a kubelet would.
@Suite struct JobControllerTests {
    static let jobs = "/apis/batch/v1/namespaces/default/jobs"
    static let pods = "/api/v1/namespaces/default/pods"

    static func job(_ name: String, _ spec: JSONValue = .emptyObject) -> JSONValue {
        var j: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name)],
                            "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox"]]]]]]
        for (key, value) in spec.object ?? [:] { j[path: ["spec", key]] = value }
        return j
    }

    func pods(_ s: TestServer, of job: String) async throws -> [JSONValue] {
        (try await s.request("GET", Self.pods).body["items"]?.array ?? []).filter { $0.metaLabels["job-name"] == job }
    }

    func finish(_ s: TestServer, _ pod: JSONValue, _ phase: String) async throws {
        let response = try await s.request("PATCH", "\(Self.pods)/\(pod.metaName)/status", ["status": ["phase": .string(phase)]],
                                           contentType: "application/merge-patch+json")
        #expect(response.status == 200, "\(response.text)")
    }

    func condition(_ job: JSONValue, _ type: String) -> JSONValue? {
        job[path: ["status", "conditions"]]?.array?.first { $0["type"]?.string == type && $0["status"] == "True" }
    }

    @Test func jobsRunToTheirCompletionsWithinParallelism() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", Self.jobs, Self.job("work", ["completions": 3, "parallelism": 2])).status == 201)
        var running: [JSONValue] = []
        try await eventually {
            running = try await pods(s, of: "work")
            return running.count == 2
        }
        #expect(running.allSatisfy { $0.metaFinalizers == ["batch.kubernetes.io/job-tracking"] && $0.metaName.hasPrefix("work-") })
        #expect(running.allSatisfy { $0[path: ["metadata", "ownerReferences"]]?.array?.first?["kind"] == "Job" })
        try await finish(s, running[0], "Succeeded")
        var job: JSONValue = .null
        try await eventually {
            job = try await s.request("GET", "\(Self.jobs)/work").body
            let all = try await pods(s, of: "work")
            return job[path: ["status", "succeeded"]]?.int == 1 && all.count == 3 && job[path: ["status", "active"]]?.int == 2
        }
        #expect(job[path: ["status", "startTime"]] != nil && job[path: ["status", "uncountedTerminatedPods"]] == .emptyObject)
        let counted = try await s.request("GET", "\(Self.pods)/\(running[0].metaName)").body
        #expect(counted.metaFinalizers.isEmpty, "the counted pod lets go of the tracking finalizer")
        #expect(job[path: ["status", "ready"]]?.int == 0 && job[path: ["status", "terminating"]]?.int == 0)

        for pod in try await pods(s, of: "work") where pod[path: ["status", "phase"]] != "Succeeded" {
            try await finish(s, pod, "Succeeded")
        }
        try await eventually {
            job = try await s.request("GET", "\(Self.jobs)/work").body
            return condition(job, "Complete") != nil
        }
        #expect(condition(job, "SuccessCriteriaMet")?["reason"] == "CompletionsReached")
        #expect(condition(job, "Complete")?["message"] == "Reached expected number of succeeded pods")
        #expect(job[path: ["status", "succeeded"]]?.int == 3 && job[path: ["status", "active"]] == nil)
        #expect(job[path: ["status", "completionTime"]] != nil)
        #expect(try await pods(s, of: "work").count == 3, "no pod beyond the completions")
        let table = try await s.request("GET", Self.jobs, accept: "application/json;as=Table;v=v1;g=meta.k8s.io").body
        #expect(table["rows"]?.array?.first?["cells"]?.array?.prefix(3) == ["work", "Complete", "3/3"])
    }

    @Test func failuresBeyondTheBackoffLimitFailTheJob() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", Self.jobs, Self.job("flaky", ["backoffLimit": 0])).status == 201)
        var first: [JSONValue] = []
        try await eventually {
            first = try await pods(s, of: "flaky")
            return first.count == 1
        }
        try await finish(s, first[0], "Failed")
        var job: JSONValue = .null
        try await eventually {
            job = try await s.request("GET", "\(Self.jobs)/flaky").body
            return condition(job, "Failed") != nil
        }
        #expect(condition(job, "FailureTarget")?["reason"] == "BackoffLimitExceeded")
        #expect(condition(job, "Failed")?["message"] == "Job has reached the specified backoff limit")
        #expect(job[path: ["status", "failed"]]?.int == 1 && job[path: ["status", "completionTime"]] == nil)
        #expect(try await pods(s, of: "flaky").count == 1, "a failed job makes no more pods")
        let events = try await s.request("GET", "/api/v1/namespaces/default/events").body["items"]?.array ?? []
        #expect(events.contains { $0["reason"] == "BackoffLimitExceeded" && $0["type"] == "Warning" })
    }

    @Test func aFailedPodIsReplacedAfterABackoff() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", Self.jobs, Self.job("retry", ["backoffLimit": 2])).status == 201)
        var first: [JSONValue] = []
        try await eventually {
            first = try await pods(s, of: "retry")
            return first.count == 1
        }
        try await finish(s, first[0], "Failed")
        // The first retry waits ten seconds from the failure (the pod's creation time here, without container states).
        var job: JSONValue = .null
        // The replacement pod and the status that counts it are two writes: wait for both (the status read last).
        try await eventually(timeout: 90) {
            guard try await pods(s, of: "retry").count == 2 else { return false }
            job = try await s.request("GET", "\(Self.jobs)/retry").body
            return job[path: ["status", "active"]]?.int == 1 && job[path: ["status", "failed"]]?.int == 1
        }
        #expect(job[path: ["status", "failed"]]?.int == 1 && condition(job, "Failed") == nil)
        let created = try await pods(s, of: "retry").compactMap { $0.metaCreationTimestamp.flatMap(Timestamp.parse) }.sorted()
        #expect(created.count == 2 && created[1] - created[0] >= 9, "replacement after the 10 s backoff, got \(created)")
    }

    @Test func indexedJobsGiveEachPodItsIndex() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", Self.jobs, Self.job("idx", ["completions": 3, "parallelism": 2, "completionMode": "Indexed"])).status == 201)
        var running: [JSONValue] = []
        try await eventually {
            running = try await pods(s, of: "idx")
            return running.count == 2
        }
        let indexes = running.compactMap { $0[path: ["metadata", "annotations", "batch.kubernetes.io/job-completion-index"]]?.string }.sorted()
        #expect(indexes == ["0", "1"])
        for pod in running {
            let index = pod[path: ["metadata", "annotations", "batch.kubernetes.io/job-completion-index"]]?.string ?? "?"
            #expect(pod.metaName.hasPrefix("idx-\(index)-") && pod[path: ["spec", "hostname"]]?.string == "idx-\(index)")
            #expect(pod.metaLabels["batch.kubernetes.io/job-completion-index"] == index)
            #expect(pod[path: ["spec", "containers"]]?.array?.first?["env"]?.array?.first?["name"] == "JOB_COMPLETION_INDEX")
        }
        let second = try #require(running.first { $0.metaName.hasPrefix("idx-1-") })
        try await finish(s, second, "Succeeded")
        try await eventually {
            let job = try await s.request("GET", "\(Self.jobs)/idx").body
            let names = try await pods(s, of: "idx").map(\.metaName)
            return job[path: ["status", "completedIndexes"]] == "1" && names.contains { $0.hasPrefix("idx-2-") }
        }
    }

    @Test func suspendedJobsRunNothingUntilResumed() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", Self.jobs, Self.job("later", ["suspend": true])).status == 201)
        try await eventually {
            condition(try await s.request("GET", "\(Self.jobs)/later").body, "Suspended")?["reason"] == "JobSuspended"
        }
        #expect(try await pods(s, of: "later").isEmpty)
        #expect(try await s.request("PATCH", "\(Self.jobs)/later", ["spec": ["suspend": false]], contentType: "application/merge-patch+json").status == 200)
        try await eventually { try await pods(s, of: "later").count == 1 }
        try await eventually {
            let job = try await s.request("GET", "\(Self.jobs)/later").body
            return job[path: ["status", "conditions"]]?.array?.contains { $0["type"] == "Suspended" && $0["status"] == "False" && $0["reason"] == "JobResumed" } == true
                && job[path: ["status", "startTime"]] != nil
        }
    }

    @Test func deadlinesAndTTLsEndJobs() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", Self.jobs, Self.job("slow", ["activeDeadlineSeconds": 1])).status == 201)
        var job: JSONValue = .null
        try await eventually {
            job = try await s.request("GET", "\(Self.jobs)/slow").body
            return condition(job, "FailureTarget") != nil
        }
        #expect(condition(job, "FailureTarget")?["reason"] == "DeadlineExceeded")
        // Its pod is deleted; without a kubelet it stays terminating, holding the job's Failed condition back.
        try await eventually { try await pods(s, of: "slow").allSatisfy { $0.metaDeletionTimestamp != nil } }
        for pod in try await pods(s, of: "slow") {
            _ = try await s.request("DELETE", "\(Self.pods)/\(pod.metaName)", ["kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0])
        }
        try await eventually { condition(try await s.request("GET", "\(Self.jobs)/slow").body, "Failed")?["reason"] == "DeadlineExceeded" }
        try await eventually { try await pods(s, of: "slow").isEmpty }

        #expect(try await s.request("POST", Self.jobs, Self.job("brief", ["ttlSecondsAfterFinished": 0])).status == 201)
        var pod: [JSONValue] = []
        try await eventually {
            pod = try await pods(s, of: "brief")
            return pod.count == 1
        }
        try await finish(s, pod[0], "Succeeded")
        try await eventually { try await s.request("GET", "\(Self.jobs)/brief").status == 404 }
        try await eventually { try await pods(s, of: "brief").isEmpty }
    }
}

/// The cron schedule and the cronjob controller, driven with chosen times.
@Suite struct CronJobTests {
    static let utc = TimeZone(identifier: "UTC") ?? .current

    static func date(_ text: String) -> Date {
        Date(timeIntervalSince1970: Timestamp.parse(text) ?? 0)
    }

    static func next(_ schedule: String, after: String, zone: TimeZone = utc) throws -> String? {
        try CronSchedule(schedule).next(after: date(after), in: zone).map { Timestamp.format($0.timeIntervalSince1970) }
    }

    @Test func schedulesFollowCronSemantics() throws {
        #expect(try Self.next("*/15 * * * *", after: "2026-12-02T10:07:30Z") == "2026-12-02T10:15:00Z")
        #expect(try Self.next("0 9 * * mon-fri", after: "2026-12-04T09:00:00Z") == "2026-12-07T09:00:00Z", "Friday to Monday")
        #expect(try Self.next("@yearly", after: "2026-12-02T00:00:00Z") == "2027-01-01T00:00:00Z")
        // Both day fields restricted: either matches (the 13th or a Friday); one a star: both must.
        #expect(try Self.next("0 0 13 * fri", after: "2026-12-02T00:00:00Z") == "2026-12-04T00:00:00Z")
        #expect(try Self.next("0 0 13 * *", after: "2026-12-02T00:00:00Z") == "2026-12-13T00:00:00Z")
        #expect(try Self.next("0 0 30 2 *", after: "2026-12-02T00:00:00Z") == nil, "30 February never comes")
        #expect(try Self.next("5-10/5 * * * *", after: "2026-12-02T10:05:00Z") == "2026-12-02T10:10:00Z")
        #expect(try Self.next("0 0 * * 7", after: "2026-12-02T00:00:00Z") == "2026-12-06T00:00:00Z", "7 is Sunday too")
        // Wall-clock time in the zone: 02:30 New York is 07:30Z in winter.
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        #expect(try Self.next("30 2 * * *", after: "2026-12-02T00:00:00Z", zone: newYork) == "2026-12-02T07:30:00Z")
        let recent = try CronSchedule("0 * * * *").mostRecent(atOrBefore: Self.date("2026-12-02T10:59:00Z"), after: Self.date("2026-12-02T08:30:00Z"), in: Self.utc)
        #expect(recent.map { Timestamp.format($0.timeIntervalSince1970) } == "2026-12-02T10:00:00Z")
        #expect(try CronSchedule("0 * * * *").mostRecent(atOrBefore: Self.date("2026-12-02T10:59:00Z"), after: Self.date("2026-12-02T10:00:00Z"), in: Self.utc) == nil)
        let every = try CronSchedule("@every 1h30m")
        #expect(every.every == 5400)
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("@every soon") }
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("* * * * 8") }
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("5-1 * * * *") }
    }

    static func cronJob(_ name: String, schedule: String, policy: String = "Allow") -> JSONValue {
        ["apiVersion": "batch/v1", "kind": "CronJob", "metadata": ["name": .string(name)],
         "spec": ["schedule": .string(schedule), "timeZone": "Etc/UTC", "concurrencyPolicy": .string(policy), "successfulJobsHistoryLimit": 1,
                  "jobTemplate": ["metadata": ["labels": ["from": .string(name)]],
                                  "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox"]]]]]]]]
    }

    func jobs(_ s: TestServer, _ cronJob: String) async throws -> [JSONValue] {
        (try await s.request("GET", JobControllerTests.jobs).body["items"]?.array ?? []).filter { $0.metaLabels["from"] == cronJob }
    }

    func complete(_ s: TestServer, _ job: JSONValue) async throws {
        let now = Timestamp.format(Timestamp.now())
        let status: JSONValue = ["status": ["completionTime": .string(now), "startTime": .string(now), "succeeded": 1,
                                            "conditions": [["type": "Complete", "status": "True", "lastTransitionTime": .string(now)]]]]
        #expect(try await s.request("PATCH", "\(JobControllerTests.jobs)/\(job.metaName)/status", status,
                                    contentType: "application/merge-patch+json").status == 200)
    }

    @Test func cronJobsCreateJobsAtTheirScheduledTimes() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        // Yearly, at times chosen by the test: the running controller has nothing to do before then.
        #expect(try await s.request("POST", "/apis/batch/v1/namespaces/default/cronjobs", Self.cronJob("yearly", schedule: "0 0 1 1 *")).status == 201)
        let logger = Logger(label: "test")
        let wake = await CronJobController.syncAll(server: s.api, logger: logger, now: Self.date("2027-01-01T00:00:30Z"))
        #expect(wake.map { abs($0 - 365 * 86400 + 30) < 1 } == true, "next run a year later, got \(String(describing: wake))")
        var created = try await jobs(s, "yearly")
        let minutes = Int(Self.date("2027-01-01T00:00:00Z").timeIntervalSince1970 / 60)
        #expect(created.map(\.metaName) == ["yearly-\(minutes)"])
        #expect(created.first?[path: ["metadata", "annotations", "batch.kubernetes.io/cronjob-scheduled-timestamp"]] == "2027-01-01T00:00:00Z")
        #expect(created.first?[path: ["metadata", "ownerReferences"]]?.array?.first?["kind"] == "CronJob")
        // The controller running in the server writes this status too (`active`, from the Job it sees), so a
        // write here may lose the race; the next pass at the same time makes it good, as it would in production.
        var cronJob: JSONValue = .null
        try await eventually {
            _ = await CronJobController.syncAll(server: s.api, logger: logger, now: Self.date("2027-01-01T00:00:40Z"))
            cronJob = try await s.request("GET", "/apis/batch/v1/namespaces/default/cronjobs/yearly").body
            return cronJob[path: ["status", "lastScheduleTime"]] == "2027-01-01T00:00:00Z"
        }
        #expect(cronJob[path: ["status", "active"]]?.array?.first?["name"]?.string == "yearly-\(minutes)")
        // A Job made from it by hand (kubectl create job --from=cronjob/…) is not one of its active runs.
        var manual = JobControllerTests.job("by-hand")
        manual[path: ["metadata", "ownerReferences"]] = [Workloads.ownerReference(cronJob)]
        #expect(try await s.request("POST", JobControllerTests.jobs, manual).status == 201)
        _ = await CronJobController.syncAll(server: s.api, logger: logger, now: Self.date("2027-01-01T00:00:42Z"))
        let active = try await s.request("GET", "/apis/batch/v1/namespaces/default/cronjobs/yearly").body[path: ["status", "active"]]?.array
        #expect(active?.compactMap { $0["name"]?.string } == ["yearly-\(minutes)"])
        // The same time again creates nothing more.
        _ = await CronJobController.syncAll(server: s.api, logger: logger, now: Self.date("2027-01-01T00:00:45Z"))
        #expect(try await jobs(s, "yearly").count == 1)

        // Finished: it leaves `active`; the next year's job makes the older one exceed the history limit of 1.
        try await complete(s, try #require(created.first))
        _ = await CronJobController.syncAll(server: s.api, logger: logger, now: Self.date("2028-01-01T00:00:10Z"))
        try await complete(s, try #require(try await jobs(s, "yearly").first { $0.metaName != created.first?.metaName }))
        try await eventually {
            _ = await CronJobController.syncAll(server: s.api, logger: logger, now: Self.date("2028-01-01T00:00:20Z"))
            created = try await jobs(s, "yearly").filter { $0.metaDeletionTimestamp == nil }
            cronJob = try await s.request("GET", "/apis/batch/v1/namespaces/default/cronjobs/yearly").body
            return created.count == 1 && cronJob[path: ["status", "active"]] == nil
        }
        #expect(created.first?.metaName == "yearly-\(Int(Self.date("2028-01-01T00:00:00Z").timeIntervalSince1970 / 60))")
        #expect(cronJob[path: ["status", "lastSuccessfulTime"]] != nil)
    }

    @Test func forbidWaitsAndReplaceReplaces() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let logger = Logger(label: "test")
        for (name, policy) in [("forbid", "Forbid"), ("replace", "Replace")] {
            #expect(try await s.request("POST", "/apis/batch/v1/namespaces/default/cronjobs", Self.cronJob(name, schedule: "0 0 1 * *", policy: policy)).status == 201)
        }
        try await eventually {
            _ = await CronJobController.syncAll(server: s.api, logger: logger, now: Self.date("2027-01-01T00:00:05Z"))
            let forbid = try await s.request("GET", "/apis/batch/v1/namespaces/default/cronjobs/forbid").body
            let replace = try await s.request("GET", "/apis/batch/v1/namespaces/default/cronjobs/replace").body
            return forbid[path: ["status", "active"]] != nil && replace[path: ["status", "active"]] != nil
        }
        _ = await CronJobController.syncAll(server: s.api, logger: logger, now: Self.date("2027-02-01T00:00:05Z"))
        #expect(try await jobs(s, "forbid").count == 1, "Forbid: the February run waits for January's job")
        try await eventually {
            let replaced = try await jobs(s, "replace").filter { $0.metaDeletionTimestamp == nil }
            return replaced.map(\.metaName) == ["replace-\(Int(Self.date("2027-02-01T00:00:00Z").timeIntervalSince1970 / 60))"]
        }
        let suspended = try await s.request("PATCH", "/apis/batch/v1/namespaces/default/cronjobs/forbid", ["spec": ["suspend": true]],
                                            contentType: "application/merge-patch+json")
        #expect(suspended.status == 200)
        try await complete(s, try #require(try await jobs(s, "forbid").first))
        _ = await CronJobController.syncAll(server: s.api, logger: logger, now: Self.date("2027-02-01T00:00:30Z"))
        #expect(try await jobs(s, "forbid").count == 1, "suspended: nothing new")
    }
}
