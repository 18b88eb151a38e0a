@testable import APIServer
import Foundation
import KubeJSON
import KubeStorage
import Logging
import Synchronization
import Testing

/// Stopping the apiserver ends its controller's passes before it returns, and a closed store is done with its
/// directory: a restart on the same data never has two writers. (With the storage seen from below, also what a watch
/// at a hostile resourceVersion asks of it.)
@Suite struct ShutdownTests {
    /// A store whose writes wait at a gate while it is shut, and a log of what happened in which order.
    final class GatedStorage: StorageBackend {
        struct State {
            var shut = false
            var held: [CheckedContinuation<Void, Never>] = []
            var log: [String] = []
            /// Writes begun and not yet ended.
            var writing = 0
            /// The revisions watches were asked to start after.
            var watched: [Int64] = []
        }

        let inner: any StorageBackend
        let state = Mutex(State())

        init(_ inner: any StorageBackend) { self.inner = inner }

        var log: [String] { state.withLock { $0.log } }
        var heldCount: Int { state.withLock { $0.held.count } }
        var writing: Int { state.withLock { $0.writing } }
        func note(_ line: String) { state.withLock { $0.log.append(line) } }
        func shut() { state.withLock { $0.shut = true } }

        func open() {
            let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.shut = false
                defer { state.held = [] }
                return state.held
            }
            for writer in waiting { writer.resume() }
        }

        private func began() { state.withLock { $0.writing += 1 } }
        private func ended(_ key: String) {
            state.withLock {
                $0.writing -= 1
                $0.log.append("write \(key)")
            }
        }

        private func gate() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wait = state.withLock { state -> Bool in
                    if state.shut { state.held.append(continuation) }
                    return state.shut
                }
                if !wait { continuation.resume() }
            }
        }

        func get(_ key: String) async throws -> KeyValue? { try await inner.get(key) }
        func range(prefix: String, startAfter: String?, limit: Int) async throws -> RangeResult {
            try await inner.range(prefix: prefix, startAfter: startAfter, limit: limit)
        }
        func create(_ key: String, value: [UInt8]) async throws -> Int64 {
            began()
            await gate()
            defer { ended(key) }
            return try await inner.create(key, value: value)
        }
        func update(_ key: String, value: [UInt8], expectedModRevision: Int64) async throws -> Int64 {
            began()
            await gate()
            defer { ended(key) }
            return try await inner.update(key, value: value, expectedModRevision: expectedModRevision)
        }
        func delete(_ key: String, expectedModRevision: Int64?) async throws -> (deleted: KeyValue, revision: Int64) {
            began()
            await gate()
            defer { ended(key) }
            return try await inner.delete(key, expectedModRevision: expectedModRevision)
        }
        func watch(prefix: String, afterRevision: Int64) async throws -> AsyncThrowingStream<[StorageEvent], any Error> {
            state.withLock { $0.watched.append(afterRevision) }
            return try await inner.watch(prefix: prefix, afterRevision: afterRevision)
        }
        func currentRevision() async throws -> Int64 { try await inner.currentRevision() }
        func healthCheck() async throws { try await inner.healthCheck() }
    }

    /// An APIServer on `storage`, started and answering the admin.
    static func server(on storage: any StorageBackend) async throws -> APIServer {
        var options = APIServerOptions()
        options.serviceClusterIPRange = IPv4Range("10.96.0.0/12")!
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let api = APIServer(options: options, storage: storage, logger: logger)
        try await api.start()
        try await eventually { await request(api, "GET", "/api/v1/namespaces").status == 200 }
        return api
    }

    static func request(_ api: APIServer, _ method: String, _ uri: String, _ body: JSONValue? = nil) async -> APIResponse {
        await api.handle(APIRequest(method: method, uri: uri, headers: [("content-type", "application/json")],
                                    body: body.map { JSONWriter.write($0) } ?? [], user: TestServer.admin))
    }

    @Test func stopReturnsOnlyOnceTheControllersPassHasEnded() async throws {
        let dir = NSTemporaryDirectory() + "kubestrap-shutdown-" + UUID().uuidString
        let store = try EmbeddedStore(options: .init(directory: dir))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gated = GatedStorage(store)
        let api = try await Self.server(on: gated)

        // A CRD appears in the storage (written below the gate); the CustomResourceDefinition controller's status
        // write for it waits at the gate, mid-pass.
        gated.shut()
        var crd = CustomResourceTests.crd()
        crd.setMeta("uid", .string(UUID().uuidString.lowercased()))
        crd.setMeta("creationTimestamp", "2026-01-01T00:00:00Z")
        _ = try await store.create(CustomResourceDefinitionController.prefix + crd.metaName, value: JSONWriter.write(crd))
        try await eventually(timeout: 60) { gated.heldCount > 0 }
        let stopper = Task {
            gated.note("stopping")
            await api.stop()
            gated.note("stopped")
        }
        try await eventually { gated.log.contains("stopping") }
        gated.open()
        await stopper.value
        // A write released by the gate ends on its own task; what stop left running shows once it has.
        try await eventually { gated.writing == 0 }

        let log = gated.log
        let stopped = try #require(log.firstIndex(of: "stopped"))
        let late = log[stopped...].filter { $0.hasPrefix("write ") }
        #expect(late.isEmpty, "written after stop returned: \(late)")
        #expect(log[..<stopped].contains { $0.hasPrefix("write /registry/") }, "the held write went through before stop returned: \(log)")
        await store.close()
    }

    @Test func aClosedStoreHasLetGoOfItsDirectoryWithItsWritesDurable() async throws {
        let dir = NSTemporaryDirectory() + "kubestrap-close-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try EmbeddedStore(options: .init(directory: dir))
        // Writes in flight when close is called are made durable before it returns.
        let writes = (0..<50).map { i in Task { try await first.create("/k/\(i)", value: Array("v\(i)".utf8)) } }
        await first.close()
        var acknowledged = 0
        for write in writes { if (try? await write.value) != nil { acknowledged += 1 } }
        await #expect(throws: StorageError.self) { _ = try await first.create("/after", value: []) }

        let second = try EmbeddedStore(options: .init(directory: dir))
        let found = try await second.range(prefix: "/k/", startAfter: nil, limit: 0).kvs.count
        #expect(found == acknowledged, "every acknowledged write is there, and only those")
        await second.close()
    }

    /// A resourceVersion the store has not reached is refused (504, ResourceVersionTooLarge) before any backend is
    /// asked to watch from the revision after it (etcd's start_revision overflowed at Int64.max).
    @Test func aWatchFromTheLargestResourceVersionAsksNoBackendForTheRevisionAfterIt() async throws {
        let dir = NSTemporaryDirectory() + "kubestrap-watch-rv-" + UUID().uuidString
        let store = try EmbeddedStore(options: .init(directory: dir))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gated = GatedStorage(store)
        let api = try await Self.server(on: gated)
        let watch = await Self.request(api, "GET", "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&resourceVersion=9223372036854775807")
        #expect(watch.status == 504)
        let watched = gated.state.withLock { $0.watched }
        #expect(!watched.contains(Int64.max), "\(watched)")
        await api.stop()
        await store.close()
    }
}
