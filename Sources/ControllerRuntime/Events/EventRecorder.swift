import KubeClient
import KubeJSON
import Logging
import Synchronization

/// client-go's event recorder for core/v1 Events: `source.component` and `reportingComponent` name the component
/// (`deployment-controller`, `default-scheduler`), and a repeat of the same event (same object, type, reason and
/// message) within ten minutes raises `count` and `lastTimestamp` of the one already written instead of adding
/// another (client-go's EventCorrelator). Writing happens on the recorder's own task: recording never waits for
/// the API, and at most `capacity` events wait (the rest are dropped with a log line, as client-go's broadcaster).
public final class EventRecorder: Sendable {
    public let component: String
    private let host: String?
    private let client: any KubernetesClient
    private let clock: any RuntimeClock
    private let logger: Logger
    private let continuation: AsyncStream<JSONValue>.Continuation
    private let task: Task<Void, Never>

    private struct Seen {
        var namespace: String
        var name: String
        var count: Int64
        var first: String
        var at: Double
    }

    private let seen = Mutex<[String: Seen]>([:])
    private let sequence = Mutex<UInt64>(0)

    public init(component: String, host: String? = nil, client: any KubernetesClient, clock: any RuntimeClock = SystemClock(),
                logger: Logger, capacity: Int = 1000) {
        self.component = component
        self.host = host
        self.client = client
        self.clock = clock
        self.logger = logger
        let (stream, continuation) = AsyncStream<JSONValue>.makeStream(bufferingPolicy: .bufferingNewest(capacity))
        self.continuation = continuation
        let writer = Writer(client: client, logger: logger)
        let counters = self.counters
        task = Task {
            for await event in stream {
                await writer.write(event)
                counters.withLock { $0.written += 1 }
            }
        }
    }

    private final class Counters: Sendable {
        let value = Mutex<(submitted: Int, written: Int)>((0, 0))
        func withLock<T>(_ body: (inout (submitted: Int, written: Int)) -> T) -> T { value.withLock { body(&$0) } }
    }

    private let counters = Counters()

    deinit {
        continuation.finish()
    }

    /// Records an event about `object` (it needs kind, name, namespace and uid).
    public func event(_ object: JSONValue, type: String = "Normal", reason: String, message: String) {
        let namespace = object[path: ["metadata", "namespace"]]?.string ?? ""
        let name = object[path: ["metadata", "name"]]?.string ?? ""
        let uid = object[path: ["metadata", "uid"]]?.string ?? ""
        let kind = object["kind"]?.string ?? ""
        let eventNamespace = namespace.isEmpty ? "default" : namespace
        let key = [kind, namespace, name, uid, type, reason, message].joined(separator: "\u{0}")
        let now = clock.now()
        let timestamp = clock.timestamp()
        let (eventName, count, first) = seen.withLock { seen -> (String, Int64, String) in
            var sequence = self.sequence.withLock { $0 }
            defer { self.sequence.withLock { $0 = sequence } }
            if var entry = seen[key], now - entry.at < 600 {
                entry.count += 1
                entry.at = now
                seen[key] = entry
                return (entry.name, entry.count, entry.first)
            }
            if seen.count > 4096 { seen = seen.filter { now - $0.value.at < 600 } }
            // client-go names events <object>.<hex of the wall clock in nanoseconds>; the sequence keeps two events
            // recorded within one clock reading apart.
            sequence &+= 1
            let nanos = UInt64(max(0, min(now, 1e10)) * 1_000_000_000) &+ sequence
            let entry = Seen(namespace: eventNamespace, name: "\(name).\(String(nanos, radix: 16))", count: 1, first: timestamp, at: now)
            seen[key] = entry
            return (entry.name, 1, timestamp)
        }
        var source: JSONValue = ["component": .string(component)]
        if let host { source["host"] = .string(host) }
        let event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(eventName), "namespace": .string(eventNamespace)],
            "involvedObject": ["kind": .string(kind), "apiVersion": object["apiVersion"] ?? "v1", "namespace": .string(namespace),
                               "name": .string(name), "uid": .string(uid),
                               "resourceVersion": object[path: ["metadata", "resourceVersion"]] ?? ""],
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": source, "reportingComponent": .string(component), "reportingInstance": .string(host ?? ""),
            "firstTimestamp": .string(first), "lastTimestamp": .string(timestamp), "count": .int(count),
        ]
        counters.withLock { $0.submitted += 1 }
        if case .dropped = continuation.yield(event) {
            counters.withLock { $0.written += 1 }
            logger.warning("event queue full, dropping event \(reason) for \(kind) \(namespace)/\(name)")
        }
    }

    /// Waits until every event recorded so far has been written (tests).
    public func flush() async {
        while counters.withLock({ $0.written < $0.submitted }), !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    public func stop() {
        continuation.finish()
        task.cancel()
    }

    /// Writes events one at a time: a count above one is a patch of the event already written.
    actor Writer {
        let client: any KubernetesClient
        let logger: Logger

        init(client: any KubernetesClient, logger: Logger) {
            self.client = client
            self.logger = logger
        }

        func write(_ event: JSONValue) async {
            let namespace = event[path: ["metadata", "namespace"]]?.string ?? "default"
            let name = event[path: ["metadata", "name"]]?.string ?? ""
            do {
                if (event["count"]?.int ?? 1) > 1 {
                    do {
                        _ = try await client.patch(.events, namespace: namespace, name: name, type: .strategicMerge,
                                                   ["count": event["count"] ?? 1, "lastTimestamp": event["lastTimestamp"] ?? .null,
                                                    "message": event["message"] ?? ""])
                        return
                    } catch let error as APIError where error.isNotFound {
                        // Expired or deleted meanwhile: written anew below.
                    }
                }
                _ = try await client.create(.events, namespace: namespace, event)
            } catch let error as APIError where error.isAlreadyExists {
                return
            } catch let error as APIError where error.code == 403 && error.message.contains("being terminated") {
                return
            } catch {
                logger.warning("unable to write event \(name) in \(namespace): \(error) (may retry after sleeping)")
            }
        }
    }
}
