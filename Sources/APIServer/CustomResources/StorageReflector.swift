import KubeJSON
import KubeStorage
import Logging

/// The CustomResourceDefinition controller's informer, read from the storage below the apiserver: every object under
/// a prefix once (as a put), then every change from the listed revision on, relisting whenever the watch ends or
/// fails (compaction, a restarted etcd). Runs until its task is cancelled. Handlers must be idempotent: a relist
/// repeats objects already seen. With `relisted`, a list is handed over whole instead (a cache replaces its
/// contents with it, so objects deleted while the watch was down go too).
struct StorageReflector: Sendable {
    let storage: any StorageBackend
    let prefix: String
    let logger: Logger

    func run(relisted: (@Sendable ([KeyValue]) async -> Void)? = nil, _ handle: @Sendable (StorageEvent) async -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let list = try await storage.range(prefix: prefix, startAfter: nil, limit: 0)
                if let relisted {
                    await relisted(list.kvs)
                } else {
                    for kv in list.kvs { await handle(StorageEvent(type: .put, kv: kv, prevKV: nil)) }
                }
                let stream = try await storage.watch(prefix: prefix, afterRevision: list.revision)
                failures = 0
                for try await batch in stream {
                    for event in batch { await handle(event) }
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.warning("watch of \(prefix) ended: \(error); relisting")
                // 100 ms doubling to 5 s while the storage is away.
                let delay = min(5_000, 100 << min(failures - 1, 6))
                try? await Task.sleep(for: .milliseconds(delay))
            }
        }
    }
}

extension StorageEvent {
    /// The object of a put, or the last state of a deleted one.
    var object: JSONValue? { try? JSONParser.parse(kv.value) }
}
