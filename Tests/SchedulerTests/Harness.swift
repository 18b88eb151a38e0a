import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeScheduler
import Logging
import Synchronization
import Testing

/// The FakeClient records a `pods/binding` create and changes nothing; the API server binds. This wrapper does what
/// the server's BindingREST does (spec.nodeName, PodScheduled=True; 409 when already bound), and can hold bindings
/// back until a test lets them through, to see the scheduler act before the watch shows its bindings.
final class BindingClient: KubernetesClient {
    let fake: FakeClient
    private let gate = Mutex<(closed: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))
    private let bindings = Mutex<[String]>([])
    private let patchBodies = Mutex<[(name: String, subresource: String?, body: JSONValue)]>([])

    /// Every patch sent, with its body (the fake's actions do not keep bodies).
    var patches: [(name: String, subresource: String?, body: JSONValue)] { patchBodies.withLock { $0 } }

    /// Refuse writes from a cancelled task, as the REST client does.
    let refusesWhenCancelled: Bool

    init(_ fake: FakeClient, refusesWhenCancelled: Bool = false) {
        self.fake = fake
        self.refusesWhenCancelled = refusesWhenCancelled
    }

    /// "namespace/pod → node" for each binding request, in order (held ones included).
    var bindingRequests: [String] { bindings.withLock { $0 } }

    func holdBindings() { gate.withLock { $0.closed = true } }

    func releaseBindings() {
        let waiting = gate.withLock { g -> [CheckedContinuation<Void, Never>] in
            g.closed = false
            defer { g.waiting = [] }
            return g.waiting
        }
        for w in waiting { w.resume() }
    }

    func create(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        guard resource == .pods, subresource == "binding" else {
            return try await fake.create(resource, namespace: namespace, object: object, subresource: subresource)
        }
        let name = object[path: ["metadata", "name"]]?.string ?? ""
        let node = object[path: ["target", "name"]]?.string ?? ""
        bindings.withLock { $0.append("\(namespace ?? "")/\(name) → \(node)") }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let open = gate.withLock { g -> Bool in
                if g.closed { g.waiting.append(c) }
                return !g.closed
            }
            if open { c.resume() }
        }
        // The fake's failure injection applies to bindings as it would to any create.
        _ = try await fake.create(resource, namespace: namespace, object: object, subresource: subresource)
        var pod = try await fake.get(.pods, namespace: namespace, name: name)
        if let bound = pod[path: ["spec", "nodeName"]]?.string, !bound.isEmpty {
            throw APIError(code: 409, reason: "Conflict", message: "pod \(name) is already assigned to node \"\(bound)\"")
        }
        pod[path: ["spec", "nodeName"]] = .string(node)
        pod = try await fake.update(.pods, pod)
        var conditions = (pod[path: ["status", "conditions"]]?.array ?? []).filter { $0["type"] != "PodScheduled" }
        conditions.append(["type": "PodScheduled", "status": "True"])
        pod[path: ["status", "conditions"]] = .array(conditions)
        _ = try await fake.updateStatus(.pods, pod)
        return object
    }

    func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList {
        try await fake.list(resource, namespace: namespace, options: options)
    }
    func watch(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        try await fake.watch(resource, namespace: namespace, options: options)
    }
    func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue {
        try await fake.get(resource, namespace: namespace, name: name, subresource: subresource)
    }
    func update(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        if refusesWhenCancelled, Task.isCancelled { throw CancellationError() }
        return try await fake.update(resource, namespace: namespace, object: object, subresource: subresource)
    }
    func patch(_ resource: ResourceType, namespace: String?, name: String, type: PatchType, body: JSONValue,
               subresource: String?) async throws -> JSONValue {
        patchBodies.withLock { $0.append((name: name, subresource: subresource, body: body)) }
        return try await fake.patch(resource, namespace: namespace, name: name, type: type, body: body, subresource: subresource)
    }
    func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws {
        try await fake.delete(resource, namespace: namespace, name: name, options: options)
    }
    func serverResources() async throws -> [DiscoveredResource] { try await fake.serverResources() }
}

/// A scheduler running against a FakeClient and a FakeClock.
struct Harness {
    let fake: FakeClient
    let client: BindingClient
    let clock = FakeClock()
    let scheduler: Scheduler
    let task: Task<Void, Never>

    init(objects: [(ResourceType, JSONValue)] = [], configuration: SchedulerConfiguration = SchedulerConfiguration()) async throws {
        fake = FakeClient(objects)
        client = BindingClient(fake)
        var logger = Logger(label: "scheduler-test")
        logger.logLevel = .warning
        let scheduler = Scheduler(client: client, configuration: configuration, clock: clock, logger: logger, host: "test-host")
        self.scheduler = scheduler
        task = Task { await scheduler.run() }
        // The backoff ticker sleeping on the clock means the informers synced and the loop runs.
        try await eventually { clock.sleepers > 0 }
    }

    func stop() async {
        task.cancel()
        await task.value
    }

    func pod(_ name: String, namespace: String = "default") throws -> JSONValue {
        try #require(fake.objects(.pods, namespace: namespace).first { $0[path: ["metadata", "name"]]?.string == name })
    }

    func nodeName(_ pod: String) throws -> String { try self.pod(pod)[path: ["spec", "nodeName"]]?.string ?? "" }

    func scheduledCondition(_ pod: String) throws -> JSONValue? {
        try self.pod(pod)[path: ["status", "conditions"]]?.array?.first { $0["type"] == "PodScheduled" }
    }

    func events(for pod: String) -> [JSONValue] {
        fake.objects(.events).filter { $0[path: ["involvedObject", "name"]]?.string == pod }
    }

    /// Moves the clock on in one-second steps, each once the ticker sleeps again, as real time would pass.
    func advance(seconds: Int) async throws {
        for _ in 0..<seconds {
            try await eventually { clock.sleepers > 0 }
            clock.advance(by: 1)
        }
        try await eventually { clock.sleepers > 0 }
    }
}

struct Timeout: Error, CustomStringConvertible {
    let description: String
}

/// Polls until `condition` holds, for up to `seconds` (generous: the test machine is small and busy).
func eventually(_ what: String = "condition", timeout seconds: Double = 90, sourceLocation: SourceLocation = #_sourceLocation,
                _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
    throw Timeout(description: "timed out waiting for \(what)")
}

enum Fixtures {
    static func node(_ name: String, cpu: String = "2", memory: String = "4Gi", pods: String = "110",
                     labels: [String: String] = [:], taints: [JSONValue] = [], ready: Bool = true) -> JSONValue {
        ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "labels": JSONValue(labels)],
         "spec": ["taints": .array(taints)],
         "status": ["allocatable": ["cpu": .string(cpu), "memory": .string(memory), "pods": .string(pods)],
                    "capacity": ["cpu": .string(cpu), "memory": .string(memory), "pods": .string(pods)],
                    "conditions": [["type": "Ready", "status": ready ? "True" : "False", "lastHeartbeatTime": "2026-01-01T00:00:00Z"]]]]
    }

    static func pod(_ name: String, cpu: String? = nil, selector: [String: String]? = nil, schedulerName: String? = nil,
                    priority: Int64? = nil) -> JSONValue {
        var container: JSONValue = ["name": "c", "image": "busybox"]
        if let cpu { container["resources"] = ["requests": ["cpu": .string(cpu)]] }
        var p: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"],
                            "spec": ["containers": [container]], "status": ["phase": "Pending"]]
        if let selector { p[path: ["spec", "nodeSelector"]] = JSONValue(selector) }
        if let schedulerName { p[path: ["spec", "schedulerName"]] = .string(schedulerName) }
        if let priority { p[path: ["spec", "priority"]] = .int(priority) }
        return p
    }

    static let controlPlaneTaint: JSONValue = ["key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"]
}
