import ControllerRuntime
import Testing

@Suite struct WorkQueueTests {
    @Test func addsOfAQueuedKeyCollapse() async {
        let queue = WorkQueue(name: "t", clock: FakeClock())
        queue.add("a")
        queue.add("b")
        queue.add("a")
        #expect(queue.count == 2)
        #expect(await queue.get() == "a")
        #expect(await queue.get() == "b")
        #expect(queue.count == 0)
    }

    @Test func aKeyBeingProcessedIsNotHandedOutTwice() async {
        let queue = WorkQueue(name: "t", clock: FakeClock())
        queue.add("a")
        let first = await queue.get()
        #expect(first == "a")
        // Added again while processing: held back until done.
        queue.add("a")
        #expect(queue.count == 0)
        queue.done("a")
        #expect(queue.count == 1)
        #expect(await queue.get() == "a")
    }

    @Test func delayedAddsWaitForTheClock() async throws {
        let clock = FakeClock()
        let queue = WorkQueue(name: "t", clock: clock)
        queue.add("later", after: 10)
        try await eventually { clock.sleepers == 1 }
        clock.advance(by: 9)
        #expect(queue.count == 0)
        clock.advance(by: 1)
        try await eventually { queue.count == 1 }
        #expect(await queue.get() == "later")
    }

    @Test func rateLimitedRetriesBackOffExponentiallyAndForgetResets() {
        let clock = FakeClock()
        let limiter = DefaultControllerRateLimiter(clock: clock)
        #expect(limiter.when("k") == 0.005)
        #expect(limiter.when("k") == 0.01)
        #expect(limiter.when("k") == 0.02)
        #expect(limiter.numRequeues("k") == 3)
        limiter.forget("k")
        #expect(limiter.when("k") == 0.005)
        // The per-key delay is capped at 1000 s however often it failed.
        for _ in 0..<80 { _ = limiter.when("x") }
        #expect(ItemExponentialRateLimiter().when("y") == 0.005)
        #expect(limiter.when("x") <= 1000)
    }

    @Test func theOverallBucketSlowsABurstOfFailures() {
        let clock = FakeClock()
        let bucket = BucketRateLimiter(qps: 10, burst: 100, clock: clock)
        for i in 0..<100 { #expect(bucket.when("k\(i)") == 0) }
        // The 101st waits a tenth of a second, the next two tenths.
        #expect(abs(bucket.when("k100") - 0.1) < 1e-9)
        #expect(abs(bucket.when("k101") - 0.2) < 1e-9)
        clock.advance(by: 10)
        #expect(bucket.when("k102") == 0)
    }

    @Test func shutDownReleasesWaitingWorkers() async {
        let queue = WorkQueue(name: "t", clock: FakeClock())
        async let waiting = queue.get()
        try? await Task.sleep(nanoseconds: 1_000_000)
        queue.shutDown()
        #expect(await waiting == nil)
    }

    @Test func workersRetryFailuresAndForgetSuccesses() async throws {
        let queue = WorkQueue(name: "t", clock: SystemClock())
        let attempts = Counter()
        queue.add("flaky")
        let running = Task {
            await queue.run(workers: 2, sync: { key in
                if attempts.increment() < 3 { throw TestFailure("not yet") }
            }, onError: { _, _ in })
        }
        try await eventually { attempts.value >= 3 }
        try await eventually { queue.numRequeues("flaky") == 0 }
        running.cancel()
        await running.value
        #expect(attempts.value == 3)
    }
}

final class Counter: Sendable {
    private let state = Mutex(0)
    var value: Int { state.withLock { $0 } }
    func increment() -> Int { state.withLock { $0 += 1; return $0 } }
}

import Synchronization
