import ControllerRuntime
import KubeClient
import KubeJSON
import Synchronization
import Testing

@Suite struct InformerTests {
    final class Seen: Sendable {
        let events = Mutex<[String]>([])
        func add(_ e: String) { events.withLock { $0.append(e) } }
        var all: [String] { events.withLock { $0 } }
    }

    @Test func listsThenFollowsChangesAndKeepsIndexes() async throws {
        let fake = FakeClient([(.configMaps, configMap("a", labels: ["app": "x"]))])
        let informer = SharedInformer(reflector: Reflector(client: fake, resource: .configMaps, clock: FakeClock(), logger: quietLogger),
                                      indexers: [Indexes.namespace: Indexes.byNamespace])
        let seen = Seen()
        informer.addEventHandler(EventHandler(onAdd: { seen.add("add \($0.metaName)") },
                                              onUpdate: { _, new in seen.add("update \(new.metaName)") },
                                              onDelete: { seen.add("delete \($0.metaName)") }))
        let task = Task { await informer.run() }
        defer { task.cancel() }
        try await eventually { informer.hasSynced }
        #expect(seen.all == ["add a"])
        _ = try await fake.create(.configMaps, namespace: "other", configMap("b", namespace: "other"))
        try await eventually { informer.cache.count == 2 }
        #expect(informer.cache.byIndex(Indexes.namespace, "other").map(\.metaName) == ["b"])
        var a = try await fake.get(.configMaps, namespace: "default", name: "a")
        a["data"] = ["k": "v"]
        _ = try await fake.update(.configMaps, a)
        try await fake.delete(.configMaps, namespace: "other", name: "b")
        try await eventually { seen.all.count == 4 }
        #expect(seen.all == ["add a", "add b", "update a", "delete b"])
        #expect(informer.cache.get("default/a")?["data"] == ["k": "v"])
        #expect(informer.cache.byIndex(Indexes.namespace, "other").isEmpty)
    }

    @Test func aDroppedWatchResumesWithoutLosingChanges() async throws {
        let fake = FakeClient()
        let clock = FakeClock()
        let informer = SharedInformer(reflector: Reflector(client: fake, resource: .configMaps, clock: clock, logger: quietLogger))
        let task = Task { await informer.run() }
        defer { task.cancel() }
        try await eventually { informer.hasSynced }
        _ = try await fake.create(.configMaps, namespace: "default", configMap("one"))
        try await eventually { informer.cache.count == 1 }
        fake.closeWatches()
        // Written while no watch is open: the resumed watch (from the last resourceVersion) delivers it.
        _ = try await fake.create(.configMaps, namespace: "default", configMap("two"))
        try await eventually { informer.cache.count == 2 }
        #expect(Set(informer.cache.list().map(\.metaName)) == ["one", "two"])
    }

    @Test func handlersAddedLateGetTheCachedObjects() async throws {
        let fake = FakeClient([(.configMaps, configMap("a")), (.configMaps, configMap("b"))])
        let factory = InformerFactory(client: fake, clock: FakeClock(), logger: quietLogger)
        let informer = factory.informer(.configMaps)
        #expect(factory.informer(.configMaps) === informer)
        factory.start()
        #expect(await factory.waitForCacheSync())
        let seen = Seen()
        informer.addEventHandler(EventHandler(onAdd: { seen.add($0.metaName) }))
        #expect(Set(seen.all) == ["a", "b"])
        await factory.shutdown()
    }

    /// As upstream's kube-controller-manager and kube-scheduler: managedFields are not cached (no controller reads
    /// them, and they are often half of an object).
    @Test func factoryInformersDropManagedFields() async throws {
        var cm = configMap("a")
        cm[path: ["metadata", "managedFields"]] = [["manager": "kubectl", "operation": "Update", "fieldsV1": ["f:data": [:]]]]
        let fake = FakeClient([(.configMaps, cm)])
        let factory = InformerFactory(client: fake, clock: FakeClock(), logger: quietLogger)
        let informer = factory.informer(.configMaps)
        factory.start()
        #expect(await factory.waitForCacheSync())
        #expect(informer.cache.get("default/a")?[path: ["metadata", "managedFields"]] == nil)
        #expect(informer.cache.get("default/a")?.metaName == "a")
        var b = configMap("b")
        b[path: ["metadata", "managedFields"]] = cm[path: ["metadata", "managedFields"]]
        _ = try await fake.create(.configMaps, namespace: "default", b)
        try await eventually { informer.cache.get("default/b") != nil }
        #expect(informer.cache.get("default/b")?[path: ["metadata", "managedFields"]] == nil)
        await factory.shutdown()
    }

    @Test func indexValuesAndCounts() {
        let cache = ObjectCache(indexers: [Indexes.nodeName: Indexes.byNodeName])
        for (name, node) in [("a", "n1"), ("b", "n1"), ("c", "n2")] {
            var pod = configMap(name)
            pod[path: ["spec", "nodeName"]] = .string(node)
            cache.put(pod)
        }
        #expect(Set(cache.indexValues(Indexes.nodeName)) == ["n1", "n2"])
        #expect(cache.indexCount(Indexes.nodeName, "n1") == 2)
        cache.remove("default/c")
        #expect(cache.indexValues(Indexes.nodeName) == ["n1"])
        #expect(cache.indexCount(Indexes.nodeName, "n2") == 0)
        #expect(cache.indexValues("no-such-index").isEmpty)
    }

    @Test func ownerIndexFindsDependents() {
        let cache = ObjectCache(indexers: [Indexes.ownerUID: Indexes.byOwnerUID, Indexes.controllerUID: Indexes.byControllerUID])
        var pod = configMap("p")
        pod[path: ["metadata", "ownerReferences"]] = [["uid": "u1", "controller": true], ["uid": "u2"]]
        cache.put(pod)
        #expect(cache.byIndex(Indexes.ownerUID, "u2").map(\.metaName) == ["p"])
        #expect(cache.byIndex(Indexes.controllerUID, "u1").map(\.metaName) == ["p"])
        #expect(cache.byIndex(Indexes.controllerUID, "u2").isEmpty)
        pod[path: ["metadata", "ownerReferences"]] = nil
        cache.put(pod)
        #expect(cache.byIndex(Indexes.ownerUID, "u1").isEmpty)
    }
}
