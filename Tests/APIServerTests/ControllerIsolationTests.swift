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

    @Test func aFailingObjectIsLoggedWithItsNameAndRetriedWithBackoffWhileOthersSucceed() async {
        let lines = Lines()
        let logger = Logger(label: "test") { _ in Collector(lines: lines) }
        let backoff = RetryBackoff()
        let bad: JSONValue = ["kind": "Deployment", "metadata": ["name": "bad", "namespace": "ns"]]
        let good: JSONValue = ["kind": "Deployment", "metadata": ["name": "good", "namespace": "ns"]]
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }

        var delays: [Double?] = []
        for _ in 0..<4 {
            delays.append(await Workloads.reconcile(bad, component: "deployment-controller", backoff: backoff, logger: logger) { throw Boom() })
            let fine = await Workloads.reconcile(good, component: "deployment-controller", backoff: backoff, logger: logger) { 7 }
            #expect(fine == 7)
        }
        #expect(delays == [0.5, 1, 2, 4])
        #expect(lines.all.first == "warning deployment-controller: syncing Deployment ns/bad failed, retrying in 0.5s: boom", "\(lines.all)")
        #expect(lines.all.count == 4 && !lines.all.contains { $0.contains("good") })
        // Success forgets the failures; the delay is capped.
        #expect(await Workloads.reconcile(bad, component: "c", backoff: backoff, logger: logger) { nil } == nil)
        #expect(await Workloads.reconcile(bad, component: "c", backoff: backoff, logger: logger) { throw Boom() } == 0.5)
        for _ in 0..<20 { _ = backoff.failed("x") }
        #expect(backoff.failed("x") == 300)
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
