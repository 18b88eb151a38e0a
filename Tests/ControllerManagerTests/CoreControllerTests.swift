import ControllerRuntime
import Foundation
import KubeAPI
import KubeClient
@testable import KubeControllerManager
import KubeJSON
import Logging
import Synchronization
import Testing

/// The ported core controllers against the fake client and a fake clock: no server, no sleeps.
@Suite(.serialized) struct CoreControllerTests {
    @Test func replicaSetCreatesExactlyItsReplicasAndScalesDown() async throws {
        let fake = FakeClient()
        let rs = try fake.insert(.replicaSets, replicaSet("web", replicas: 3))
        try await running(fake, [{ ReplicaSetController(context: $0) }]) {
            try await poll { ownedPods(fake, rs).count == 3 }
            // The informer's own adds settle the expectations; no sync may create a fourth pod meanwhile.
            try await poll { fake.objects(.replicaSets).first?[path: ["status", "replicas"]] == 3 }
            #expect(ownedPods(fake, rs).count == 3)
            #expect(ownedPods(fake, rs).allSatisfy { $0.metaName.hasPrefix("web-") && $0[path: ["metadata", "labels", "app"]] == "web" })
            var scaled = try await fake.get(.replicaSets, namespace: "demo", name: "web")
            scaled[path: ["spec", "replicas"]] = 1
            _ = try await fake.update(.replicaSets, scaled)
            try await poll { ownedPods(fake, rs).count == 1 }
            try await poll { fake.objects(.events, namespace: "demo").contains { $0["reason"] == "SuccessfulDelete" } }
        }
    }

    @Test func replicationControllerRunsItsReplicasAsTheReplicaSetControllerDoes() async throws {
        let fake = FakeClient()
        let rc = try fake.insert(.replicationControllers, [
            "apiVersion": "v1", "kind": "ReplicationController", "metadata": ["name": "rc", "namespace": "demo"],
            "spec": ["replicas": 2, "selector": ["app": "web"],
                     "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "busybox"]]]]]])
        try await running(fake, [{ ReplicaSetController(context: $0, flavor: ReplicaSetController.replicationControllers) }]) {
            try await poll { ownedPods(fake, rc).count == 2 }
            try await poll { fake.objects(.replicationControllers).first?[path: ["status", "replicas"]] == 2 }
            let owner = ownedPods(fake, rc).first?[path: ["metadata", "ownerReferences"]]?.array?.first
            #expect(owner?["kind"] == "ReplicationController" && owner?["apiVersion"] == "v1" && owner?["controller"] == true)
            let stored = fake.objects(.replicationControllers).first
            #expect(stored?[path: ["spec", "selector"]] == ["app": "web"], "the RC keeps its map selector")
            #expect(stored?[path: ["status", "fullyLabeledReplicas"]] == 2)
        }
    }

    @Test func replicaSetAdoptsAMatchingOrphan() async throws {
        let fake = FakeClient()
        let rs = try fake.insert(.replicaSets, replicaSet("web", replicas: 1))
        try fake.insert(.pods, ["metadata": ["name": "stray", "namespace": "demo", "labels": ["app": "web"]], "spec": ["containers": []]])
        try await running(fake, [{ ReplicaSetController(context: $0) }]) {
            try await poll { ownedPods(fake, rs).map(\.metaName) == ["stray"] }
            #expect(fake.objects(.pods).count == 1)
        }
    }

    @Test func deploymentMakesAReplicaSetWithTheTemplateHash() async throws {
        let fake = FakeClient()
        let deployment = try fake.insert(.deployments, [
            "metadata": ["name": "web", "namespace": "demo"],
            "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "web"]],
                     "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "busybox"]]]]],
        ])
        try await running(fake, [DeploymentController.init]) {
            try await poll { fake.objects(.replicaSets).count == 1 }
            let rs = try #require(fake.objects(.replicaSets).first)
            let hash = try #require(rs[path: ["metadata", "labels", "pod-template-hash"]]?.string)
            #expect(rs.metaName == "web-\(hash)")
            #expect(rs[path: ["spec", "replicas"]] == 2)
            #expect(rs[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]] == "1")
            #expect(rs[path: ["metadata", "ownerReferences"]]?.array?.first?["uid"]?.string == deployment.metaUID)
            try await poll { fake.objects(.events, namespace: "demo").contains { $0["reason"] == "ScalingReplicaSet" } }
        }
    }

    @Test func garbageCollectorDeletesDependentsOfAnyKind() async throws {
        let fake = FakeClient()
        fake.setDiscovery([DiscoveredResource(type: .configMaps, verbs: ["list", "watch", "delete", "get"]),
                           DiscoveredResource(type: .replicaSets, verbs: ["list", "watch", "delete", "get"])])
        let owner = try fake.insert(.configMaps, configMap("owner"))
        var dependent = configMap("dependent")
        dependent[path: ["metadata", "ownerReferences"]] = [["apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": .string(owner.metaUID)]]
        try fake.insert(.configMaps, dependent)
        var orphan = replicaSet("orphan", replicas: 0)
        orphan[path: ["metadata", "ownerReferences"]] = [["apiVersion": "apps/v1", "kind": "Deployment", "name": "gone", "uid": "no-such-uid", "controller": true]]
        try fake.insert(.replicaSets, orphan)
        try await running(fake, [GarbageCollector.init]) {
            // An owner of a kind the server does not list (no Deployments here) counts as gone.
            try await poll { fake.objects(.replicaSets).isEmpty }
            #expect(fake.objects(.configMaps).count == 2)
            try await fake.delete(.configMaps, namespace: "demo", name: "owner")
            try await poll { fake.objects(.configMaps).isEmpty }
        }
    }

    @Test func garbageCollectorOrphansWhenAskedTo() async throws {
        let fake = FakeClient()
        fake.setDiscovery([DiscoveredResource(type: .configMaps, verbs: ["list", "watch", "delete", "get"])])
        let owner = try fake.insert(.configMaps, configMap("owner"))
        var dependent = configMap("dependent")
        dependent[path: ["metadata", "ownerReferences"]] = [["apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": .string(owner.metaUID)]]
        try fake.insert(.configMaps, dependent)
        try await running(fake, [GarbageCollector.init]) {
            try await fake.delete(.configMaps, namespace: "demo", name: "owner", options: DeleteOptions(propagationPolicy: "Orphan"))
            try await poll { fake.objects(.configMaps).map(\.metaName) == ["dependent"] }
            #expect(fake.objects(.configMaps).first?[path: ["metadata", "ownerReferences"]] == nil)
        }
    }

    /// A owns B and B owns A, both blocking: a foreground delete of A finishes (upstream's GC makes B's references
    /// non-blocking before deleting it in foreground) instead of each waiting for the other.
    @Test func garbageCollectorFinishesAForegroundDeleteThroughAnOwnerCycle() async throws {
        let fake = FakeClient()
        fake.setDiscovery([DiscoveredResource(type: .configMaps, verbs: ["list", "watch", "delete", "get"])])
        let a = try fake.insert(.configMaps, configMap("a"))
        var b = configMap("b")
        b[path: ["metadata", "ownerReferences"]] = [["apiVersion": "v1", "kind": "ConfigMap", "name": "a", "uid": .string(a.metaUID),
                                                     "blockOwnerDeletion": true]]
        b = try fake.insert(.configMaps, b)
        var aOwned = try #require(fake.objects(.configMaps).first { $0.metaName == "a" })
        aOwned[path: ["metadata", "ownerReferences"]] = [["apiVersion": "v1", "kind": "ConfigMap", "name": "b", "uid": .string(b.metaUID),
                                                          "blockOwnerDeletion": true]]
        _ = try await fake.update(.configMaps, namespace: "demo", object: aOwned, subresource: nil)
        try await running(fake, [GarbageCollector.init]) {
            try await fake.delete(.configMaps, namespace: "demo", name: "a", options: DeleteOptions(propagationPolicy: "Foreground"))
            try await poll { fake.objects(.configMaps).isEmpty }
        }
    }

    @Test func namespaceIsEmptiedThenFinalized() async throws {
        let fake = FakeClient()
        fake.setDiscovery([DiscoveredResource(type: .configMaps, verbs: ["list", "watch", "delete"]),
                           DiscoveredResource(type: .namespaces, verbs: ["list", "watch", "delete"])])
        try fake.insert(.configMaps, configMap("a"))
        try fake.insert(.configMaps, configMap("kept", namespace: "other"))
        try fake.insert(.namespaces, ["metadata": ["name": "demo", "deletionTimestamp": "2026-01-01T00:00:00Z"],
                                      "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Terminating"]])
        try await running(fake, [NamespaceController.init]) {
            try await poll { fake.objects(.namespaces).isEmpty }
            #expect(fake.objects(.configMaps).map(\.metaName) == ["kept"])
            #expect(fake.actions.contains { $0.subresource == "finalize" && $0.name == "demo" })
        }
    }

    @Test func everyActiveNamespaceGetsDefaultServiceAccountAndRootCA() async throws {
        let fake = FakeClient()
        try fake.insert(.namespaces, ["metadata": ["name": "demo"], "status": ["phase": "Active"]])
        var options = ControllerManagerOptions()
        options.rootCAPEM = "-----BEGIN CERTIFICATE-----\nxyz\n-----END CERTIFICATE-----\n"
        try await running(fake, [ServiceAccountController.init, RootCACertPublisher.init], options: options) {
            try await poll { fake.objects(.serviceAccounts, namespace: "demo").map(\.metaName) == ["default"] }
            try await poll { fake.objects(.configMaps, namespace: "demo").first?[path: ["data", "ca.crt"]]?.string == options.rootCAPEM }
            // Deleted: it comes back.
            try await fake.delete(.serviceAccounts, namespace: "demo", name: "default")
            try await poll { fake.objects(.serviceAccounts, namespace: "demo").count == 1 }
        }
    }

    @Test func controllersFlagSelectsAsUpstreamReadsIt() throws {
        let all = ControllerRegistry.all
        let defaults = try ControllerManager.select(["*", "bootstrapsigner", "tokencleaner"], from: all)
        #expect(defaults.map(\.name).contains("deployment"))
        let without = try ControllerManager.select(["*", "-deployment"], from: all)
        #expect(!without.map(\.name).contains("deployment") && without.count == defaults.count - 1)
        #expect(try ControllerManager.select(["replicaset"], from: all).map(\.name) == ["replicaset"])
        #expect(throws: ControllerManagerError.self) { try ControllerManager.select(["*", "no-such-controller"], from: all) }
    }
}

// MARK: harness

/// The clock of the controllers a test runs (tests in this suite run one at a time: see the suite trait).
private let currentClock = Mutex<FakeClock?>(nil)

private let logger: Logger = {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}()

/// Runs controllers made by `makers` over `fake` (shared informers, a fake clock) while `body` runs.
private func running(_ fake: FakeClient, _ makers: [(ControllerContext) -> any Controller],
                     options: ControllerManagerOptions = ControllerManagerOptions(),
                     _ body: () async throws -> Void) async throws {
    let clock = FakeClock()
    currentClock.withLock { $0 = clock }
    let informers = InformerFactory(client: fake, clock: clock, logger: logger)
    let recorder = EventRecorder(component: "test-controller", client: fake, clock: clock, logger: logger)
    let context = ControllerContext(client: fake, informers: informers, clock: clock, logger: logger, options: options, recorder: recorder)
    let controllers = makers.map { $0(context) }
    informers.start()
    let task = Task { await withTaskGroup(of: Void.self) { group in for c in controllers { group.addTask { await c.run() } } } }
    do {
        try await body()
    } catch {
        task.cancel()
        await task.value
        throw error
    }
    task.cancel()
    await task.value
    recorder.stop()
    await informers.shutdown()
}

/// Polls `condition`, moving the running controllers' fake clock on by 0.1 s each time (delayed requeues come due).
private func poll(timeout: Double = 90, line: Int = #line, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        currentClock.withLock { $0 }?.advance(by: 0.1)
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    Issue.record("condition at line \(line) not met within \(timeout)s")
    throw CancellationError()
}

private func replicaSet(_ name: String, replicas: Int64) -> JSONValue {
    ["apiVersion": "apps/v1", "kind": "ReplicaSet",
     "metadata": ["name": .string(name), "namespace": "demo"],
     "spec": ["replicas": .int(replicas), "selector": ["matchLabels": ["app": "web"]],
              "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "busybox"]]]]]]
}

private func configMap(_ name: String, namespace: String = "demo") -> JSONValue {
    ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": .string(namespace)]]
}

private func ownedPods(_ fake: FakeClient, _ owner: JSONValue) -> [JSONValue] {
    fake.objects(.pods).filter { $0[path: ["metadata", "ownerReferences"]]?.array?.first?["uid"]?.string == owner.metaUID }
}
