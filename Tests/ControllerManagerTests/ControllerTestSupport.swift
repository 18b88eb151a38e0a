import ControllerRuntime
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Logging
import Testing

/// A controller under test: a FakeClient, a FakeClock, and the context kube-controller-manager would give it.
struct ControllerHarness {
    let fake: FakeClient
    let clock: FakeClock
    let informers: InformerFactory
    let context: ControllerContext

    init(component: String, objects: [(ResourceType, JSONValue)] = [], options: ControllerManagerOptions = ControllerManagerOptions()) {
        let fake = FakeClient(objects)
        let clock = FakeClock()
        let logger = Logger(label: "test.\(component)")
        self.fake = fake
        self.clock = clock
        informers = InformerFactory(client: fake, clock: clock, logger: logger)
        context = ControllerContext(client: fake, informers: informers, clock: clock, logger: logger, options: options,
                                    recorder: EventRecorder(component: component, client: fake, clock: clock, logger: logger))
    }

    /// Starts the informers the controllers made and runs them until `stop`.
    func run(_ controllers: any Controller...) -> Task<Void, Never> {
        informers.start()
        return Task {
            await withTaskGroup(of: Void.self) { group in
                for controller in controllers { group.addTask { await controller.run() } }
            }
        }
    }

    func stop(_ task: Task<Void, Never>) async {
        task.cancel()
        await task.value
        context.recorder.stop()
        await informers.shutdown()
    }

    func objects(_ resource: ResourceType, namespace: String = "default") -> [JSONValue] {
        fake.objects(resource, namespace: resource.namespaced ? namespace : nil)
    }

    func get(_ resource: ResourceType, _ name: String, namespace: String = "default") -> JSONValue? {
        objects(resource, namespace: namespace).first { $0.name == name }
    }

    /// Writes an object's status as its kubelet (or another writer) would: these fields over what is there.
    func setStatus(_ resource: ResourceType, _ name: String, namespace: String = "default", _ status: JSONValue) async throws {
        try await fake.retryUpdate(resource, namespace: resource.namespaced ? namespace : nil, name: name, subresource: "status") { current in
            var next = current
            var merged = current["status"]?.object ?? [:]
            for (k, v) in status.object ?? [:] { merged[k] = v }
            next["status"] = .object(merged)
            return next
        }
    }

    func setPodStatus(_ name: String, _ status: JSONValue) async throws {
        try await setStatus(.pods, name, status)
    }

    /// Events recorded about the object named `name`, once written.
    func events(about name: String) async -> [JSONValue] {
        await context.recorder.flush()
        return fake.objects(.events).filter { $0[path: ["involvedObject", "name"]]?.string == name }
    }

    /// Waits until a controller has armed a timer on the clock (its next wake-up), then moves the clock. Only for
    /// tests where that timer is the only one.
    func advance(by seconds: Double) async throws {
        try await eventually("a timer on the fake clock") { clock.sleepers > 0 }
        clock.advance(by: seconds)
    }

    /// Moves the clock by `step` until `condition` holds, giving the controllers a moment after each step: for
    /// behaviour due at a time, however late a controller arms its timer.
    func advance(by step: Double, until what: String, timeout: Double = 90, _ condition: () async throws -> Bool) async throws {
        let wall = ContinuousClock()
        let deadline = wall.now + .seconds(timeout)
        while wall.now < deadline {
            if try await condition() { return }
            clock.advance(by: step)
            let settle = wall.now + .milliseconds(300)
            while wall.now < settle {
                if try await condition() { return }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        Issue.record("timed out advancing the clock until \(what)")
        throw TimedOut(what: what)
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds (a loaded machine: the deadline is generous, the polling quick).
func eventually(_ what: String, timeout: Double = 90, _ condition: () async throws -> Bool) async throws {
    let wall = ContinuousClock()
    let deadline = wall.now + .seconds(timeout)
    while wall.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for \(what)")
    throw TimedOut(what: what)
}

extension JSONValue {
    var name: String { self[path: ["metadata", "name"]]?.string ?? "" }
    var uid: String { self[path: ["metadata", "uid"]]?.string ?? "" }
    var labels: [String: String] { self[path: ["metadata", "labels"]]?.object?.compactMapValues(\.string) ?? [:] }
    var finalizers: [String] { self[path: ["metadata", "finalizers"]]?.array?.compactMap(\.string) ?? [] }
    var isTerminating: Bool { self[path: ["metadata", "deletionTimestamp"]] != nil }

    /// The condition of `type` when its status is True.
    func trueCondition(_ type: String) -> JSONValue? {
        self[path: ["status", "conditions"]]?.array?.first { $0["type"]?.string == type && $0["status"]?.string == "True" }
    }

    /// The controlling owner's kind and name.
    var controllerOwner: (kind: String, name: String)? {
        guard let ref = self[path: ["metadata", "ownerReferences"]]?.array?.first(where: { $0["controller"]?.bool == true }) else { return nil }
        return (ref["kind"]?.string ?? "", ref["name"]?.string ?? "")
    }
}

/// A pod template's spec: one container that runs once.
let podSpec: JSONValue = ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox"]]]
