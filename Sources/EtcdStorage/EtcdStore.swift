import KubeJSON
import KubeStorage
import Logging

/// `StorageBackend` on a real etcd v3 (`--storage-backend=etcd3 --etcd-servers=…`), the way the upstream
/// kube-apiserver uses it: one key per object under `/registry`, creates and updates as transactions that compare
/// the key's create or mod revision, ranges with a limit for paging, watches from a revision with previous values,
/// and a compactor that keeps about `compactionInterval` of history.
public final class EtcdStore: StorageBackend {
    public struct Options: Sendable {
        public var servers: [String]
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        /// How often history older than the previous interval's revision is compacted (upstream's
        /// --etcd-compaction-interval, 5 minutes); 0 turns compaction off.
        public var compactionInterval: Duration = .seconds(300)

        public init(servers: [String], caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
            self.servers = servers
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
        }
    }

    private let gateway: EtcdGateway
    private let compactor: Task<Void, Never>?

    public init(options: Options, logger: Logger) throws {
        // The first server is used; a list is accepted as upstream takes it (a cluster behind one endpoint works).
        guard let first = options.servers.first(where: { !$0.isEmpty }) else {
            throw EtcdError("--etcd-servers is required with --storage-backend=etcd3")
        }
        let endpoint = try EtcdGateway.Endpoint(url: first)
        if endpoint.tls == false, options.certFile != nil {
            logger.warning("--etcd-certfile is ignored: \(first) is not https")
        }
        do {
            gateway = try EtcdGateway(endpoint: endpoint, caFile: options.caFile, certFile: options.certFile, keyFile: options.keyFile)
        } catch {
            throw EtcdError("cannot set up TLS to etcd (--etcd-cafile, --etcd-certfile, --etcd-keyfile): \(error)")
        }
        let gateway = self.gateway
        let interval = options.compactionInterval
        compactor = interval > .zero ? Task {
            var previous: Int64 = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                do {
                    if previous > 0 {
                        _ = try await gateway.call("/v3/kv/compaction", ["revision": .string(String(previous))])
                        logger.info("compacted etcd history", metadata: ["revision": "\(previous)"])
                    }
                    previous = try Self.revision(of: try await gateway.call("/v3/kv/range", ["key": Self.key("/"), "limit": 1, "keys_only": true]))
                } catch {
                    logger.warning("etcd compaction failed: \(error)")
                }
            }
        } : nil
    }

    deinit {
        compactor?.cancel()
        gateway.close()
    }

    // MARK: StorageBackend

    public func get(_ key: String) async throws -> KeyValue? {
        let answer = try await call("/v3/kv/range", ["key": Self.key(key)])
        return try answer["kvs"]?.array?.first.map(Self.keyValue)
    }

    public func range(prefix: String, startAfter: String?, limit: Int) async throws -> RangeResult {
        var request: [String: JSONValue] = [
            "key": Self.key(startAfter.map { $0 + "\u{0}" } ?? prefix),
            "range_end": Self.key(Self.prefixEnd(prefix)),
        ]
        if limit > 0 { request["limit"] = .int(Int64(limit)) }
        let answer = try await call("/v3/kv/range", .object(request))
        let kvs = try (answer["kvs"]?.array ?? []).map(Self.keyValue)
        return RangeResult(kvs: kvs, more: answer["more"]?.bool ?? false, count: Int(Self.number(answer["count"]) ?? Int64(kvs.count)),
                           revision: try Self.revision(of: answer))
    }

    public func create(_ key: String, value: [UInt8]) async throws -> Int64 {
        let answer = try await call("/v3/kv/txn", [
            "compare": [["key": Self.key(key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"]],
            "success": [["request_put": ["key": Self.key(key), "value": .string(Base64.encode(value))]]],
        ])
        guard answer["succeeded"]?.bool == true else { throw StorageError.keyExists(key: key) }
        return try Self.revision(of: answer)
    }

    public func update(_ key: String, value: [UInt8], expectedModRevision: Int64) async throws -> Int64 {
        let answer = try await call("/v3/kv/txn", [
            "compare": [["key": Self.key(key), "target": "MOD", "result": "EQUAL", "mod_revision": .string(String(expectedModRevision))]],
            "success": [["request_put": ["key": Self.key(key), "value": .string(Base64.encode(value))]]],
            "failure": [["request_range": ["key": Self.key(key)]]],
        ])
        guard answer["succeeded"]?.bool == true else { throw try Self.failure(key: key, answer) }
        return try Self.revision(of: answer)
    }

    public func delete(_ key: String, expectedModRevision: Int64?) async throws -> (deleted: KeyValue, revision: Int64) {
        let compare: JSONValue = expectedModRevision.map {
            ["key": Self.key(key), "target": "MOD", "result": "EQUAL", "mod_revision": .string(String($0))]
        } ?? ["key": Self.key(key), "target": "CREATE", "result": "NOT_EQUAL", "create_revision": "0"]
        let answer = try await call("/v3/kv/txn", [
            "compare": [compare],
            "success": [["request_delete_range": ["key": Self.key(key), "prev_kv": true]]],
            "failure": [["request_range": ["key": Self.key(key)]]],
        ])
        guard answer["succeeded"]?.bool == true else { throw try Self.failure(key: key, answer) }
        let revision = try Self.revision(of: answer)
        guard let previous = answer["responses"]?.array?.first?["response_delete_range"]?["prev_kvs"]?.array?.first else {
            throw StorageError.notFound(key: key)   // deleted by someone else between compare and delete: cannot happen in one txn
        }
        var deleted = try Self.keyValue(previous)
        deleted.modRevision = revision
        return (deleted, revision)
    }

    public func watch(prefix: String, afterRevision: Int64) async throws -> AsyncThrowingStream<[StorageEvent], any Error> {
        let (messages, cancel) = try await gateway.stream("/v3/watch", [
            "create_request": [
                "key": Self.key(prefix), "range_end": Self.key(Self.prefixEnd(prefix)),
                // Saturating: afterRevision may come straight from a client's resourceVersion.
                "start_revision": .string(String(afterRevision == .max ? .max : afterRevision + 1)), "prev_kv": true,
            ],
        ])
        var iterator = messages.makeAsyncIterator()
        let pending: [[StorageEvent]]
        do {
            // The first message says whether the watch exists or was refused (history compacted).
            guard let first = try await iterator.next()?["result"] else { throw EtcdError("etcd ended the watch before it started") }
            if let compacted = Self.number(first["compact_revision"]), compacted > 0 {
                throw StorageError.compacted(requested: afterRevision, compactedRevision: compacted)
            }
            pending = try Self.batches(first)
        } catch {
            cancel()
            throw error is StorageError || error is CancellationError ? error : StorageError.unavailable("\(error)")
        }
        let (stream, continuation) = AsyncThrowingStream<[StorageEvent], any Error>.makeStream(bufferingPolicy: .bufferingOldest(Self.watcherBuffer))
        let task = Task { [iterator] in
            var iterator = iterator
            // However the relay ends (the reader left, etcd ended the watch, a bad message), the connection goes too.
            defer { cancel() }
            do {
                for batch in pending {
                    guard Self.deliver(batch, to: continuation) else { return }
                }
                while let message = try await iterator.next() {
                    guard let result = message["result"] else { continue }
                    if let compacted = Self.number(result["compact_revision"]), compacted > 0 {
                        throw StorageError.compacted(requested: afterRevision, compactedRevision: compacted)
                    }
                    if result["canceled"]?.bool == true { throw EtcdError("etcd cancelled the watch: \(result["cancel_reason"]?.string ?? "")") }
                    for batch in try Self.batches(result) {
                        guard Self.deliver(batch, to: continuation) else { return }
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error is StorageError ? error : StorageError.unavailable("\(error)"))
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Commits a watch reader may fall behind before its watch is ended (as the embedded store ends its watchers):
    /// the relay does not buffer without bound for a reader that stopped reading.
    static let watcherBuffer = 10_000

    /// False when the relay should stop: the reader is gone, or fell `watcherBuffer` behind (its stream is finished).
    private static func deliver(_ batch: [StorageEvent], to continuation: AsyncThrowingStream<[StorageEvent], any Error>.Continuation) -> Bool {
        switch continuation.yield(batch) {
        case .enqueued: return true
        case .dropped:
            continuation.finish()
            return false
        case .terminated: return false
        @unknown default: return false
        }
    }

    public func currentRevision() async throws -> Int64 {
        try Self.revision(of: try await call("/v3/kv/range", ["key": Self.key("/"), "limit": 1, "keys_only": true]))
    }

    public func healthCheck() async throws {
        _ = try await currentRevision()
    }

    /// Drops history before `revision` (what the compactor does every interval).
    public func compact(revision: Int64) async throws {
        _ = try await call("/v3/kv/compaction", ["revision": .string(String(revision)), "physical": true])
    }

    // MARK: Encoding

    private func call(_ path: String, _ body: JSONValue) async throws -> JSONValue {
        do { return try await gateway.call(path, body) } catch let error as EtcdError {
            throw StorageError.unavailable(error.description)
        }
    }

    static func key(_ key: String) -> JSONValue { .string(Base64.encode(Array(key.utf8))) }

    /// The first key after every key that starts with `prefix` (etcd's range_end for a prefix).
    static func prefixEnd(_ prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.removeLast()
        }
        return "\u{0}"
    }

    /// The gateway writes int64 fields as JSON strings.
    static func number(_ value: JSONValue?) -> Int64? {
        switch value {
        case .string(let s)?: return Int64(s)
        case .int(let i)?: return i
        default: return nil
        }
    }

    static func revision(of answer: JSONValue) throws -> Int64 {
        guard let revision = number(answer["header"]?["revision"]) else { throw EtcdError("etcd answered without a revision") }
        return revision
    }

    static func keyValue(_ kv: JSONValue) throws -> KeyValue {
        guard let key = kv["key"]?.string.flatMap(Base64.decode) else { throw EtcdError("etcd answered a key that is not base64") }
        return KeyValue(key: String(decoding: key, as: UTF8.self), value: kv["value"]?.string.flatMap(Base64.decode) ?? [],
                        createRevision: number(kv["create_revision"]) ?? 0, modRevision: number(kv["mod_revision"]) ?? 0)
    }

    /// A failed compare: the key is gone (notFound) or was changed (conflict with its current mod revision).
    static func failure(key: String, _ answer: JSONValue) throws -> StorageError {
        guard let current = answer["responses"]?.array?.first?["response_range"]?["kvs"]?.array?.first else {
            return .notFound(key: key)
        }
        return .conflict(key: key, currentRevision: try keyValue(current).modRevision)
    }

    /// Watch events grouped by revision: one etcd answer may carry several commits.
    static func batches(_ result: JSONValue) throws -> [[StorageEvent]] {
        var out: [[StorageEvent]] = []
        for event in result["events"]?.array ?? [] {
            guard let kvJSON = event["kv"] else { continue }
            let kv = try keyValue(kvJSON)
            let previous = try event["prev_kv"].map(keyValue)
            let storageEvent: StorageEvent
            if event["type"]?.string == "DELETE" {
                var last = previous ?? kv
                last.modRevision = kv.modRevision
                storageEvent = StorageEvent(type: .delete, kv: last, prevKV: previous)
            } else {
                storageEvent = StorageEvent(type: .put, kv: kv, prevKV: previous)
            }
            if let lastBatch = out.last, lastBatch.first?.kv.modRevision == kv.modRevision {
                out[out.count - 1].append(storageEvent)
            } else {
                out.append([storageEvent])
            }
        }
        return out
    }
}
