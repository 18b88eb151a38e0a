@testable import APIServer
import KubeJSON
import Logging
import Synchronization
import Testing

/// One object's failure is logged with the object and retried with backoff; the pass goes on. Numbers a controller
/// derives from objects stay within bounds whatever the object holds.
@Suite struct ControllerIsolationTests {
    /// Collects log messages, to see what an operator would read.
    final class Lines: Sendable {
        let messages = Mutex<[String]>([])
        var all: [String] { messages.withLock { $0 } }
    }

    struct Collector: LogHandler {
        let lines: Lines
        var logLevel: Logger.Level = .debug
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
                 function: String, line: UInt) {
            lines.messages.withLock { $0.append("\(level) \(message)") }
        }
    }

    /// A clock the test moves by hand.
    final class Clock: Sendable {
        let seconds = Mutex<Double>(1000)
        var now: Double { seconds.withLock { $0 } }
        func advance(_ by: Double) { seconds.withLock { $0 += by } }
    }

    static func object(_ name: String, version: String = "1") -> JSONValue {
        ["kind": "Deployment", "metadata": ["name": .string(name), "namespace": "ns", "resourceVersion": .string(version)]]
    }

    struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }

    @Test func aFailingObjectIsLoggedWithItsNameAndRetriedWithBackoffWhileOthersSucceed() async {
        let lines = Lines()
        let logger = Logger(label: "test") { _ in Collector(lines: lines) }
        let clock = Clock()
        let backoff = RetryBackoff(now: { clock.now })
        let bad = Self.object("bad"), good = Self.object("good")

        var delays: [Double?] = []
        for _ in 0..<4 {
            delays.append(await Workloads.reconcile(bad, component: "deployment-controller", backoff: backoff, logger: logger) { throw Boom() })
            let fine = await Workloads.reconcile(good, component: "deployment-controller", backoff: backoff, logger: logger) { 7 }
            #expect(fine == 7)
            clock.advance(delays.last.flatMap { $0 } ?? 0)
        }
        #expect(delays == [0.5, 1, 2, 4])
        #expect(lines.all.first == "warning deployment-controller: syncing Deployment ns/bad failed, retrying in 0.5s: boom", "\(lines.all)")
        #expect(lines.all.count == 4 && !lines.all.contains { $0.contains("good") })
        // Success forgets the failures; the delay is capped.
        #expect(await Workloads.reconcile(bad, component: "c", backoff: backoff, logger: logger) { nil } == nil)
        #expect(await Workloads.reconcile(bad, component: "c", backoff: backoff, logger: logger) { throw Boom() } == 0.5)
        for _ in 0..<20 { backoff.failed("x") }
        #expect(backoff.failed("x") == 300)
    }

    @Test func aFailedObjectIsLeftAloneUntilItsRetryIsDueUnlessItChanged() async {
        let lines = Lines()
        let logger = Logger(label: "test") { _ in Collector(lines: lines) }
        let clock = Clock()
        let backoff = RetryBackoff(now: { clock.now })
        let calls = Mutex(0)
        func attempt(_ object: JSONValue) async -> Double? {
            await Workloads.reconcile(object, component: "deployment-controller", backoff: backoff, logger: logger) {
                calls.withLock { $0 += 1 }
                throw Boom()
            }
        }
        #expect(await attempt(Self.object("bad")) == 0.5)
        // Passes brought by other objects' changes: not tried, not logged, and told when the retry is due.
        clock.advance(0.2)
        for _ in 0..<5 { #expect(await attempt(Self.object("bad")).map { abs($0 - 0.3) < 1e-9 } == true) }
        #expect(calls.withLock { $0 } == 1 && lines.all.count == 1, "\(lines.all)")
        // Due: tried again, and the delay doubles.
        clock.advance(0.3)
        #expect(await attempt(Self.object("bad")) == 1)
        #expect(calls.withLock { $0 } == 2)
        // Changed (a new resourceVersion): tried at once.
        #expect(await attempt(Self.object("bad", version: "2")) == 2)
        #expect(calls.withLock { $0 } == 3 && lines.all.count == 3)
        // Objects that are gone are forgotten.
        backoff.failed("Deployment ns/other")
        backoff.keep(only: [Self.object("other")])
        #expect(backoff.keys == ["Deployment ns/other"])
        backoff.keep(only: [])
        #expect(backoff.keys.isEmpty)
    }

    @Test func aControllerPassRetriesAFailingObjectOnlyWhenDueAndForgetsItOnceDeleted() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        // Pods of this template are refused by the Priority admission plugin, so every sync of the set fails.
        var rs = WorkloadFixtures.replicaSet("refused", replicas: 1)
        rs[path: ["spec", "template", "spec", "priority"]] = 5
        let created = try await s.request("POST", "/apis/apps/v1/namespaces/default/replicasets", rs)
        #expect(created.status == 201, "\(created.text)")
        let lines = Lines()
        let logger = Logger(label: "test") { _ in Collector(lines: lines) }
        let clock = Clock()
        let backoff = RetryBackoff(now: { clock.now })
        func failures() -> Int { lines.all.filter { $0.contains("syncing ReplicaSet default/refused failed") }.count }

        #expect(await ReplicaSetController.syncAll(server: s.api, logger: logger, backoff: backoff) == 0.5)
        #expect(failures() == 1, "\(lines.all)")
        for _ in 0..<3 { _ = await ReplicaSetController.syncAll(server: s.api, logger: logger, backoff: backoff) }
        #expect(failures() == 1, "not retried before its time: \(lines.all)")
        clock.advance(0.5)
        _ = await ReplicaSetController.syncAll(server: s.api, logger: logger, backoff: backoff)
        #expect(failures() == 2, "\(lines.all)")
        #expect(backoff.keys == ["ReplicaSet default/refused"])

        let deleted = try await s.request("DELETE", "/apis/apps/v1/namespaces/default/replicasets/refused")
        #expect(deleted.status == 200, "\(deleted.text)")
        _ = await ReplicaSetController.syncAll(server: s.api, logger: logger, backoff: backoff)
        #expect(backoff.keys.isEmpty)
    }

    @Test func derivedNumbersStayInBounds() {
        #expect(Workloads.milliseconds(.nan) == 50 && Workloads.milliseconds(-5) == 50 && Workloads.milliseconds(0.2) == 200)
        #expect(Workloads.milliseconds(.infinity) == 86_400_000 && Workloads.milliseconds(1e300) == 86_400_000)
        let max32 = Int(Int32.max)
        #expect(Workloads.scaled(.int(Int64.max), of: 2, roundUp: true, default: 1) == max32)
        #expect(Workloads.scaled(.int(Int64.min), of: 2, roundUp: true, default: 1) == 0)
        #expect(Workloads.scaled("99999999999999999999%", of: 10, roundUp: true, default: 1) == 214_748_365)
        #expect(Workloads.scaled("50%", of: 3, roundUp: true, default: 1) == 2 && Workloads.scaled("50%", of: 3, roundUp: false, default: 1) == 1)
        #expect(Workloads.scaled("25%", of: max32, roundUp: true, default: 1) == 536_870_912)
        #expect(Workloads.scaled("x", of: 3, roundUp: true, default: 1) == 1 && Workloads.scaled(nil, of: 3, roundUp: true, default: 4) == 4)
        #expect(Workloads.scaled(.double(1e300), of: 3, roundUp: true, default: 1) == max32)
        #expect(Workloads.int32(Int.max) == .int(Int64(Int32.max)) && Workloads.int32(-5) == .int(-5))
    }
}
