import ControllerRuntime
import KubeJSON
@testable import KubeScheduler
import Testing

/// The queue on its own: order, backoff, and which events bring an unschedulable pod back.
@Suite struct SchedulingQueueTests {
    func info(_ name: String, priority: Int64? = nil) -> PodInfo {
        var pod = Fixtures.pod(name, priority: priority)
        pod[path: ["metadata", "uid"]] = .string("uid-\(name)")
        return PodInfo(pod)
    }

    @Test func backoffDoublesFromOneSecondToTen() {
        let queue = SchedulingQueue(clock: FakeClock())
        #expect((1...6).map { queue.backoffDuration(attempts: $0) } == [1, 2, 4, 8, 10, 10])
        #expect(queue.backoffDuration(attempts: 1000) == 10)
    }

    @Test func higherPriorityFirstThenFirstComeFirstServed() async {
        let queue = SchedulingQueue(clock: FakeClock())
        queue.add(info("low-1"))
        queue.add(info("high", priority: 1000))
        queue.add(info("low-2"))
        var order: [String] = []
        for _ in 0..<3 { if let pod = await queue.pop() { order.append(pod.info.name) } }
        #expect(order == ["high", "low-1", "low-2"])
    }

    @Test func aMovedPodWaitsOutItsBackoff() async throws {
        let clock = FakeClock()
        let queue = SchedulingQueue(clock: clock)
        queue.add(info("web"))
        let first = try #require(await queue.pop())
        #expect(first.attempts == 1)
        queue.addUnschedulable(key: "default/web", rejectedBy: ["TaintToleration"])
        #expect(queue.placeOf("default/web") == "unschedulable")
        // An event that cannot help (claims) leaves it; a node appearing moves it, to backoff: it failed just now.
        #expect(queue.moveAll(.pvcChange) == 0)
        #expect(queue.placeOf("default/web") == "unschedulable")
        #expect(queue.moveAll(.nodeAdd) == 1)
        #expect(queue.placeOf("default/web") == "backoff")
        queue.flush()
        #expect(queue.placeOf("default/web") == "backoff")
        clock.advance(by: 1)
        queue.flush()
        #expect(queue.placeOf("default/web") == "active")

        let second = try #require(await queue.pop())
        #expect(second.attempts == 2)
        queue.addUnschedulable(key: "default/web", rejectedBy: ["NodeResourcesFit"])
        clock.advance(by: 1.5)
        queue.moveAll(.assignedPodDelete)
        queue.flush()
        #expect(queue.placeOf("default/web") == "backoff", "the second backoff is 2 s")
        clock.advance(by: 0.6)
        queue.flush()
        #expect(queue.placeOf("default/web") == "active")
    }

    @Test func anEventDuringTheAttemptSendsTheFailureToBackoff() async throws {
        let clock = FakeClock()
        let queue = SchedulingQueue(clock: clock)
        queue.add(info("web"))
        _ = try #require(await queue.pop())
        queue.moveAll(.nodeAdd)
        queue.addUnschedulable(key: "default/web", rejectedBy: ["TaintToleration"])
        #expect(queue.placeOf("default/web") == "backoff")
        // Another pod bound meanwhile cannot change what taints allow: parked.
        queue.add(info("db"))
        _ = try #require(await queue.pop())
        queue.moveAll(.assignedPodAdd)
        queue.addUnschedulable(key: "default/db", rejectedBy: ["TaintToleration"])
        #expect(queue.placeOf("default/db") == "unschedulable")
    }

    @Test func onlyChangesToWhatThePodAsksForMoveIt() async throws {
        let queue = SchedulingQueue(clock: FakeClock())
        let pod = info("web")
        queue.add(pod)
        _ = try #require(await queue.pop())
        queue.addUnschedulable(key: "default/web", rejectedBy: ["NodeAffinity"])
        var statusOnly = pod.object
        statusOnly[path: ["status", "conditions"]] = [["type": "PodScheduled", "status": "False"]]
        queue.update(PodInfo(statusOnly))
        #expect(queue.placeOf("default/web") == "unschedulable")
        var relabelled = statusOnly
        relabelled[path: ["spec", "nodeSelector"]] = ["disk": "ssd"]
        queue.update(PodInfo(relabelled))
        #expect(queue.placeOf("default/web") == "backoff")
    }

    @Test func popEndsWhenCancelled() async {
        let queue = SchedulingQueue(clock: FakeClock())
        let waiting = Task { await queue.pop() }
        waiting.cancel()
        #expect(await waiting.value == nil)
    }

    @Test func nodeHeartbeatsAreNotNodeUpdates() {
        var before = NodeInfo(name: "n")
        before.setNode(Fixtures.node("n"))
        var after = before
        var heartbeat = Fixtures.node("n")
        heartbeat[path: ["status", "conditions"]] = [["type": "Ready", "status": "True", "lastHeartbeatTime": "2026-01-01T00:05:00Z"]]
        after.setNode(heartbeat)
        #expect(ClusterEvent.nodeUpdate(old: before, new: after) == nil)
        var notReady = heartbeat
        notReady[path: ["status", "conditions"]] = [["type": "Ready", "status": "False"]]
        after.setNode(notReady)
        #expect(ClusterEvent.nodeUpdate(old: before, new: after)?.plugins == ["TaintToleration"])
    }
}
