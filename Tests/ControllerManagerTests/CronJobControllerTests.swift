import ControllerRuntime
import Foundation
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Testing

/// The cronjob controller on a fake API and a fake clock, and the schedule it reads.
@Suite struct CronJobControllerTests {
    static let utc = TimeZone(identifier: "UTC") ?? .current

    static func cronJob(_ name: String, schedule: String, created: String, policy: String = "Allow") -> JSONValue {
        ["apiVersion": "batch/v1", "kind": "CronJob",
         "metadata": ["name": .string(name), "namespace": "default", "creationTimestamp": .string(created)],
         "spec": ["schedule": .string(schedule), "timeZone": "Etc/UTC", "concurrencyPolicy": .string(policy), "successfulJobsHistoryLimit": 1,
                  "jobTemplate": ["metadata": ["labels": ["from": .string(name)]], "spec": ["template": ["spec": podSpec]]]]]
    }

    func jobs(_ h: ControllerHarness, of cronJob: String) -> [JSONValue] {
        h.objects(.jobs).filter { $0.controllerOwner?.name == cronJob }
    }

    func complete(_ h: ControllerHarness, _ job: JSONValue) async throws {
        let now = h.clock.timestamp()
        try await h.setStatus(.jobs, job.name, ["completionTime": .string(now), "startTime": .string(now), "succeeded": 1,
                                                "conditions": [["type": "Complete", "status": "True", "lastTransitionTime": .string(now)]]])
    }

    @Test func aCronJobCreatesAJobAtEachScheduledTime() async throws {
        let created = FakeClock().timestamp()
        let h = ControllerHarness(component: CronJobController.component,
                                  objects: [(.cronJobs, Self.cronJob("every5", schedule: "*/5 * * * *", created: created))])
        let task = h.run(CronJobController(context: h.context))
        // Nothing is due yet: the first sync writes an empty status and arms the timer for the next run.
        try await eventually("the first sync") { h.fake.actions.contains { $0.resource == "cronjobs" && $0.subresource == "status" } }
        #expect(jobs(h, of: "every5").isEmpty)
        let start = h.clock.now()
        let due = (start / 300).rounded(.down) * 300 + 300
        try await h.advance(by: due - start + 1)
        try await eventually("the scheduled job") { jobs(h, of: "every5").count == 1 }
        let minutes = Int(due / 60)
        let job = try #require(jobs(h, of: "every5").first)
        #expect(job.name == "every5-\(minutes)")
        #expect(job.labels["from"] == "every5")
        #expect(job[path: ["metadata", "annotations", CronJobController.scheduledTimestampAnnotation]]?.string
                == CronJobController.format(Date(timeIntervalSince1970: due), in: Self.utc))
        try await eventually("the run in the status") {
            let cronJob = h.get(.cronJobs, "every5")
            return cronJob?[path: ["status", "active"]]?.array?.first?["name"]?.string == job.name
                && cronJob?[path: ["status", "lastScheduleTime"]]?.string == CronJobController.format(Date(timeIntervalSince1970: due), in: Self.utc)
        }
        let events = await h.events(about: "every5")
        #expect(events.contains { $0["reason"] == "SuccessfulCreate" && $0["message"]?.string == "Created job \(job.name)" })

        // Finished, it leaves `active`; the next run's job pushes it past the history limit of one.
        try await complete(h, job)
        try await eventually("the finished job seen") {
            h.get(.cronJobs, "every5")?[path: ["status", "active"]] == nil
                && h.get(.cronJobs, "every5")?[path: ["status", "lastSuccessfulTime"]] != nil
        }
        try await h.advance(by: 300)
        try await eventually("the next job") { jobs(h, of: "every5").contains { $0.name == "every5-\(minutes + 5)" } }
        try await complete(h, try #require(jobs(h, of: "every5").first { $0.name == "every5-\(minutes + 5)" }))
        try await eventually("the older job trimmed") { jobs(h, of: "every5").map(\.name) == ["every5-\(minutes + 5)"] }
        await h.stop(task)
    }

    @Test func forbidWaitsForTheActiveJob() async throws {
        let h = ControllerHarness(component: CronJobController.component,
                                  objects: [(.cronJobs, Self.cronJob("one", schedule: "*/5 * * * *", created: FakeClock().timestamp(), policy: "Forbid"))])
        let task = h.run(CronJobController(context: h.context))
        try await eventually("the first sync") { h.fake.actions.contains { $0.resource == "cronjobs" && $0.subresource == "status" } }
        let start = h.clock.now()
        try await h.advance(by: (start / 300).rounded(.down) * 300 + 301 - start)
        try await eventually("the first job active") { h.get(.cronJobs, "one")?[path: ["status", "active"]] != nil }
        try await h.advance(by: 300)
        // The second run is due and waits: the controller arms its next wake-up and makes nothing.
        try await eventually("the wake-up after the skipped run") { h.clock.sleepers > 0 }
        #expect(jobs(h, of: "one").count == 1, "Forbid: the next run waits for the active job")
        await h.stop(task)
    }

    @Test func replaceDeletesTheActiveJobForTheNextRun() async throws {
        let h = ControllerHarness(component: CronJobController.component,
                                  objects: [(.cronJobs, Self.cronJob("swap", schedule: "*/5 * * * *", created: FakeClock().timestamp(), policy: "Replace"))])
        let task = h.run(CronJobController(context: h.context))
        try await eventually("the first sync") { h.fake.actions.contains { $0.resource == "cronjobs" && $0.subresource == "status" } }
        let start = h.clock.now()
        let due = (start / 300).rounded(.down) * 300 + 300
        try await h.advance(by: due - start + 1)
        try await eventually("the first job active") { h.get(.cronJobs, "swap")?[path: ["status", "active"]] != nil }
        try await h.advance(by: 300)
        try await eventually("only the second run's job") { jobs(h, of: "swap").map(\.name) == ["swap-\(Int(due / 60) + 5)"] }
        try await eventually("the second job active") {
            h.get(.cronJobs, "swap")?[path: ["status", "active"]]?.array?.map { $0["name"]?.string } == ["swap-\(Int(due / 60) + 5)"]
        }
        let events = await h.events(about: "swap")
        #expect(events.contains { $0["reason"] == "SuccessfulDelete" && $0["message"]?.string == "Deleted job swap-\(Int(due / 60))" })
        await h.stop(task)
    }

    static func next(_ schedule: String, after: Double, zone: TimeZone = utc) throws -> Double? {
        try CronSchedule(schedule).next(after: Date(timeIntervalSince1970: after), in: zone)?.timeIntervalSince1970
    }

    @Test func schedulesFollowCronSemantics() throws {
        // 2026-12-02T10:07:30Z, a Wednesday.
        let t: Double = 1_796_206_050
        #expect(try Self.next("*/15 * * * *", after: t) == 1_796_206_500)
        #expect(try Self.next("0 0 30 2 *", after: t) == nil, "30 February never comes")
        #expect(try Self.next("@hourly", after: t) == 1_796_209_200)
        #expect(try CronSchedule("@every 1h30m").every == 5400)
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("* * * * 8") }
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("TZ=UTC * * * * *") }
    }
}
