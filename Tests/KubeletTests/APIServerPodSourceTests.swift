import KubeAPI
import KubeClient
import KubeJSON
@testable import Kubelet
import Synchronization
import Testing

/// The watch of the pods bound to this node across watches that end (an apiserver restart or its watch timeout):
/// it resumes from the last resourceVersion it saw, and lists again only when the server no longer has it.
@Suite struct APIServerPodSourceTests {
    /// A FakeClient that counts lists, remembers where each watch started, and can refuse the next watch.
    final class Recording: KubernetesClient {
        let fake = FakeClient()
        struct Calls { var lists = 0; var watchVersions: [String?] = []; var refuseNextWatch: APIError? }
        let calls = Mutex(Calls())

        func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList {
            calls.withLock { $0.lists += 1 }
            return try await fake.list(resource, namespace: namespace, options: options)
        }
        func watch(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
            let refusal = calls.withLock { c in
                c.watchVersions.append(options.resourceVersion)
                defer { c.refuseNextWatch = nil }
                return c.refuseNextWatch
            }
            if let refusal { throw refusal }
            return try await fake.watch(resource, namespace: namespace, options: options)
        }
        func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue {
            try await fake.get(resource, namespace: namespace, name: name, subresource: subresource)
        }
        func create(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
            try await fake.create(resource, namespace: namespace, object: object, subresource: subresource)
        }
        func update(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
            try await fake.update(resource, namespace: namespace, object: object, subresource: subresource)
        }
        func patch(_ resource: ResourceType, namespace: String?, name: String, type: PatchType, body: JSONValue,
                   subresource: String?) async throws -> JSONValue {
            try await fake.patch(resource, namespace: namespace, name: name, type: type, body: body, subresource: subresource)
        }
        func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws {
            try await fake.delete(resource, namespace: namespace, name: name, options: options)
        }
        func serverResources() async throws -> [DiscoveredResource] { [] }
    }

    static func pod(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"],
         "spec": ["nodeName": "n1", "containers": [["name": "c", "image": "busybox", "command": ["sleep", "1"]]]]]
    }

    @Test func resumesFromTheLastVersionAndListsOnlyWhenItIsGone() async throws {
        let client = Recording()
        let first = try client.fake.insert(.pods, Self.pod("a"))
        let seen = Mutex<Set<String>>([])
        let source = APIServerPodSource(client: client, nodeName: "n1", logger: testLogger)
        let running = Task {
            await source.run { pods in seen.withLock { $0 = Set(pods.values.map(\.metaName)) } }
        }
        defer { running.cancel() }

        #expect(await eventually { seen.withLock { $0 } == ["a"] && client.calls.withLock { $0.watchVersions.count } == 1 })
        #expect(client.calls.withLock { $0.watchVersions } == [first.metaResourceVersion])
        let second = try await client.fake.create(.pods, namespace: "default", Self.pod("b"))
        #expect(await eventually { seen.withLock { $0 } == ["a", "b"] })

        // The server goes away: the watch ends, and the next one starts where this one stopped; no list.
        client.fake.closeWatches()
        #expect(await eventually { client.calls.withLock { $0.watchVersions.count } == 2 })
        #expect(client.calls.withLock { $0.watchVersions.last } == second.metaResourceVersion)
        _ = try await client.fake.create(.pods, namespace: "default", Self.pod("c"))
        #expect(await eventually { seen.withLock { $0 } == ["a", "b", "c"] })
        #expect(client.calls.withLock { $0.lists } == 1)

        // A version the server no longer keeps: list again, and watch from the new list.
        client.calls.withLock { $0.refuseNextWatch = APIError(code: 410, reason: "Expired", message: "too old resource version") }
        client.fake.closeWatches()
        #expect(await eventually { client.calls.withLock { $0.lists == 2 && $0.watchVersions.count == 4 } })
    }
}
