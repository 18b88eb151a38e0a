import KubeStorage
#if canImport(Glibc)
import Glibc
#endif

/// Wraps a backend to record each operation's latency for /metrics.
struct InstrumentedStorage: StorageBackend {
    let inner: any StorageBackend
    let metrics: Metrics

    private func timed<T: Sendable>(_ op: String, _ body: () async throws -> T) async throws -> T {
        let start = Timestamp.monotonic()
        defer { metrics.observeStorage(op, seconds: Timestamp.monotonic() - start) }
        return try await body()
    }

    func get(_ key: String) async throws -> KeyValue? { try await timed("get") { try await inner.get(key) } }
    func range(prefix: String, startAfter: String?, limit: Int) async throws -> RangeResult {
        try await timed("list") { try await inner.range(prefix: prefix, startAfter: startAfter, limit: limit) }
    }
    func create(_ key: String, value: [UInt8]) async throws -> Int64 { try await timed("create") { try await inner.create(key, value: value) } }
    func update(_ key: String, value: [UInt8], expectedModRevision: Int64) async throws -> Int64 {
        try await timed("update") { try await inner.update(key, value: value, expectedModRevision: expectedModRevision) }
    }
    func delete(_ key: String, expectedModRevision: Int64?) async throws -> (deleted: KeyValue, revision: Int64) {
        try await timed("delete") { try await inner.delete(key, expectedModRevision: expectedModRevision) }
    }
    func watch(prefix: String, afterRevision: Int64) async throws -> AsyncThrowingStream<[StorageEvent], any Error> {
        try await inner.watch(prefix: prefix, afterRevision: afterRevision)
    }
    func currentRevision() async throws -> Int64 { try await inner.currentRevision() }
    func healthCheck() async throws { try await inner.healthCheck() }
}

extension Timestamp {
    public static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
