import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeControllerManager
import Logging
import Testing

/// A controller over a FakeClient and a FakeClock, as kube-controller-manager would make it: shared informers, an
/// event recorder, the options. `start` runs it; `stop` ends it and its informers.
struct LifecycleHarness {
    let client: FakeClient
    let clock: FakeClock
    let informers: InformerFactory
    let recorder: EventRecorder
    let context: ControllerContext

    init(_ objects: [(ResourceType, JSONValue)] = [], component: String = "test-controller",
         options: ControllerManagerOptions = ControllerManagerOptions()) {
        var logger = Logger(label: "lifecycle-test")
        logger.logLevel = .warning
        client = FakeClient(objects)
        clock = FakeClock()
        informers = InformerFactory(client: client, clock: clock, logger: logger)
        recorder = EventRecorder(component: component, client: client, clock: clock, logger: logger)
        context = ControllerContext(client: client, informers: informers, clock: clock, logger: logger,
                                    options: options, recorder: recorder)
    }

    func start(_ controller: any Controller) -> Task<Void, Never> {
        informers.start()
        return Task { await controller.run() }
    }

    func stop(_ task: Task<Void, Never>) async {
        task.cancel()
        await task.value
        recorder.stop()
        await informers.shutdown()
    }

    func object(_ type: ResourceType, _ namespace: String?, _ name: String) -> JSONValue? {
        client.objects(type, namespace: namespace).first { $0[path: ["metadata", "name"]]?.string == name }
    }

    func events(reason: String) -> [JSONValue] {
        client.objects(.events).filter { $0["reason"]?.string == reason }
    }

    /// Writes a new status the way a kubelet or another controller would.
    func setStatus(_ type: ResourceType, _ namespace: String?, _ name: String, _ change: (inout JSONValue) -> Void) async throws {
        var object = try await client.get(type, namespace: namespace, name: name)
        change(&object)
        _ = try await client.update(type, namespace: namespace, object: object, subresource: "status")
    }
}

struct Timeout: Error, CustomStringConvertible {
    var description: String
}

/// Polls `check` until it holds, for up to `seconds` of real time (generous: the test machine is loaded). With a
/// clock and a step, fake time moves forward by the step between polls, so periodic work gets its turns.
func eventually(_ what: String, seconds: Double = 90, advancing clock: FakeClock? = nil, by step: Double = 0,
                _ check: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await check() { return }
        if let clock, step > 0 { clock.advance(by: step) }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw Timeout(description: "timed out waiting for \(what)")
}

enum Fixtures {
    static func node(_ name: String, ready: String = "True", heartbeat: String = "2026-05-28T20:26:40Z") -> JSONValue {
        ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name)],
         "status": ["conditions": [
             ["type": "Ready", "status": .string(ready), "reason": "KubeletReady", "message": "kubelet is posting ready status",
              "lastHeartbeatTime": .string(heartbeat), "lastTransitionTime": "2026-05-28T20:00:00Z"],
             ["type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
              "lastHeartbeatTime": .string(heartbeat), "lastTransitionTime": "2026-05-28T20:00:00Z"],
         ]]]
    }

    static func pod(_ name: String, namespace: String = "default", node: String? = nil, labels: [String: String] = [:],
                    ip: String? = nil, ready: Bool = true, phase: String = "Running", tolerations: [JSONValue]? = nil,
                    containers: [JSONValue] = [["name": "c", "image": "busybox"]]) -> JSONValue {
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                              "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": JSONValue(labels)],
                              "spec": ["containers": .array(containers)],
                              "status": ["phase": .string(phase),
                                         "conditions": [["type": "Ready", "status": ready ? "True" : "False",
                                                         "lastTransitionTime": "2026-05-28T20:00:00Z"]]]]
        if let node { pod[path: ["spec", "nodeName"]] = .string(node) }
        if let ip { pod[path: ["status", "podIP"]] = .string(ip) }
        if let tolerations { pod[path: ["spec", "tolerations"]] = .array(tolerations) }
        return pod
    }

    static func condition(_ object: JSONValue?, _ type: String) -> JSONValue? {
        object?[path: ["status", "conditions"]]?.array?.first { $0["type"]?.string == type }
    }

    static func hasTaint(_ node: JSONValue?, _ key: String, _ effect: String) -> Bool {
        (node?[path: ["spec", "taints"]]?.array ?? []).contains { $0["key"]?.string == key && $0["effect"]?.string == effect }
    }
}
