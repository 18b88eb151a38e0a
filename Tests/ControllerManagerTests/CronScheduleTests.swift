import ControllerRuntime
import Foundation
import KubeAPI
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Testing

/// The schedule the cronjob controller reads, and what it does around a run it made (moved from the apiserver's
/// tests when its in-process copy of the controller went).
@Suite struct CronScheduleTests {
    static let utc = CronJobControllerTests.utc

    static func date(_ text: String) -> Date {
        Date(timeIntervalSince1970: RFC3339.parse(text)?.timeIntervalSince1970 ?? 0)
    }

    static func next(_ schedule: String, after: String, zone: TimeZone = utc) throws -> String? {
        try CronSchedule(schedule).next(after: date(after), in: zone).map { CronJobController.format($0, in: utc) }
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
        #expect(recent.map { CronJobController.format($0, in: Self.utc) } == "2026-12-02T10:00:00Z")
        #expect(try CronSchedule("0 * * * *").mostRecent(atOrBefore: Self.date("2026-12-02T10:59:00Z"), after: Self.date("2026-12-02T10:00:00Z"), in: Self.utc) == nil)
        #expect(try CronSchedule("@every 1h30m").every == 5400)
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("@every soon") }
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("* * * * 8") }
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("5-1 * * * *") }
    }

    func jobs(_ h: ControllerHarness, of cronJob: String) -> [JSONValue] {
        h.objects(.jobs).filter { $0.controllerOwner?.name == cronJob }
    }

    /// `kubectl create job --from=cronjob/…` makes a Job the CronJob owns but did not start: it is not an active
    /// run; and a run already made is not made again.
    @Test func aJobMadeByHandIsNotAnActiveRunAndARunIsMadeOnce() async throws {
        let h = ControllerHarness(component: CronJobController.component,
                                  objects: [(.cronJobs, CronJobControllerTests.cronJob("tick", schedule: "*/5 * * * *", created: FakeClock().timestamp()))])
        let task = h.run(CronJobController(context: h.context))
        try await eventually("the first sync") { h.fake.actions.contains { $0.resource == "cronjobs" && $0.subresource == "status" } }
        let start = h.clock.now()
        let due = (start / 300).rounded(.down) * 300 + 300
        try await h.advance(by: due - start + 1)
        try await eventually("the run's job active") { h.get(.cronJobs, "tick")?[path: ["status", "active"]]?.array?.count == 1 }
        let run = try #require(jobs(h, of: "tick").first)

        let cronJob = try #require(h.get(.cronJobs, "tick"))
        var manual = JobControllerTests.job("by-hand")
        manual[path: ["metadata", "ownerReferences"]] = [try Workloads.json(Workloads.ownerReference(cronJob))]
        _ = try await h.fake.create(.jobs, namespace: "default", manual)
        // The manual Job's event brings a sync at the same time; a finished bogus entry makes it write its status.
        try await h.setStatus(.cronJobs, "tick", ["active": [["kind": "Job", "name": .string(run.name), "uid": .string(run.uid)],
                                                             ["kind": "Job", "name": "ghost", "uid": "ghost"]]])
        try await eventually("the ghost dropped") { h.get(.cronJobs, "tick")?[path: ["status", "active"]]?.array?.count == 1 }
        #expect(h.get(.cronJobs, "tick")?[path: ["status", "active"]]?.array?.compactMap { $0["name"]?.string } == [run.name])
        #expect(jobs(h, of: "tick").map(\.name).sorted() == ["by-hand", run.name].sorted(), "no second job for the same run")
        await h.stop(task)
    }

    @Test func aSuspendedCronJobStartsNothing() async throws {
        var held = CronJobControllerTests.cronJob("held", schedule: "*/5 * * * *", created: FakeClock().timestamp())
        held[path: ["spec", "suspend"]] = true
        let h = ControllerHarness(component: CronJobController.component, objects: [(.cronJobs, held)])
        let task = h.run(CronJobController(context: h.context))
        try await eventually("the first sync") { h.fake.actions.contains { $0.resource == "cronjobs" && $0.subresource == "status" } }
        h.clock.advance(by: 3600)
        // A status entry to drop makes the next sync (after the run times passed) visible by its write.
        try await h.setStatus(.cronJobs, "held", ["active": [["kind": "Job", "name": "ghost", "uid": "ghost"]]])
        try await eventually("a sync an hour later") { h.get(.cronJobs, "held")?[path: ["status", "active"]] == nil }
        #expect(jobs(h, of: "held").isEmpty && h.get(.cronJobs, "held")?[path: ["status", "lastScheduleTime"]] == nil)
        await h.stop(task)
    }
}
