import ControllerRuntime
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Testing

/// The ttl-after-finished controller: finished Jobs go `ttlSecondsAfterFinished` after they finished.
@Suite struct TTLAfterFinishedControllerTests {
    static func finishedJob(_ name: String, ttl: Int64?, at time: String, condition: String = "Complete") -> JSONValue {
        var job: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name), "namespace": "default"],
                              "spec": ["template": ["spec": podSpec]],
                              "status": ["conditions": [["type": .string(condition), "status": "True", "lastTransitionTime": .string(time)]]]]
        if condition == "Complete" { job[path: ["status", "completionTime"]] = .string(time) }
        if let ttl { job[path: ["spec", "ttlSecondsAfterFinished"]] = .int(ttl) }
        return job
    }

    @Test func finishedJobsAreDeletedWhenTheirTTLRunsOut() async throws {
        let now = FakeClock().timestamp()
        let h = ControllerHarness(component: TTLAfterFinishedController.component, objects: [
            (.jobs, Self.finishedJob("done", ttl: 60, at: now)),
            (.jobs, Self.finishedJob("broken", ttl: 120, at: now, condition: "Failed")),
            (.jobs, Self.finishedJob("kept", ttl: nil, at: now)),
            (.jobs, ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "running", "namespace": "default"],
                     "spec": ["ttlSecondsAfterFinished": 0, "template": ["spec": podSpec]]]),
        ])
        let task = h.run(TTLAfterFinishedController(context: h.context))
        try await eventually("both timers armed") { h.clock.sleepers >= 2 }
        #expect(h.objects(.jobs).count == 4)
        h.clock.advance(by: 59)
        try await eventually("nothing due yet") { h.clock.sleepers >= 2 }
        #expect(h.objects(.jobs).count == 4)
        h.clock.advance(by: 1)
        try await eventually("done deleted") { h.get(.jobs, "done") == nil }
        #expect(h.fake.actions.filter { $0.verb == "delete" }.map(\.name) == ["done"])
        h.clock.advance(by: 60)
        try await eventually("broken deleted") { h.get(.jobs, "broken") == nil }
        #expect(h.objects(.jobs).map(\.name) == ["kept", "running"], "no TTL, or not finished: kept")
        await h.stop(task)
    }
}
