/// The store every API object lives in, shaped like etcd v3's data model so that an etcd backend can replace the
/// embedded one without the registry noticing: flat string keys, one global revision that increases with every
/// write and serves as the resourceVersion, compare-and-swap on a key's mod revision, prefix ranges with a limit,
/// and watches that replay history from a revision until it is compacted.
public protocol StorageBackend: Sendable {
    /// The object at `key`, or nil.
    func get(_ key: String) async throws -> KeyValue?

    /// Keys under `prefix` in key order, starting after `startAfter` when paging, at most `limit` (0 = all).
    func range(prefix: String, startAfter: String?, limit: Int) async throws -> RangeResult

    /// Stores a new key; `StorageError.keyExists` when it is there already. Returns the revision of the write.
    func create(_ key: String, value: [UInt8]) async throws -> Int64

    /// Replaces `key` only if its mod revision is still `expectedModRevision` (`StorageError.conflict` otherwise,
    /// `notFound` when it is gone). Returns the revision of the write.
    func update(_ key: String, value: [UInt8], expectedModRevision: Int64) async throws -> Int64

    /// Removes `key` (only at `expectedModRevision` when given). Returns the deleted value and the deletion revision.
    func delete(_ key: String, expectedModRevision: Int64?) async throws -> (deleted: KeyValue, revision: Int64)

    /// Events under `prefix` with a revision greater than `afterRevision`, then live ones, in batches (like etcd's
    /// WatchResponse: the events of one commit arrive together, in revision order); throws
    /// `StorageError.compacted` when that history is gone, from the call or, for a remote store that only learns
    /// it from the server, from the stream's first iteration. The stream ends when the consumer stops iterating.
    func watch(prefix: String, afterRevision: Int64) async throws -> AsyncThrowingStream<[StorageEvent], any Error>

    /// The revision of the latest write.
    func currentRevision() async throws -> Int64

    /// Whether the backend answers (for /readyz).
    func healthCheck() async throws
}

public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    public var createRevision: Int64
    public var modRevision: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

public struct RangeResult: Sendable {
    public var kvs: [KeyValue]
    /// More keys follow the last one returned.
    public var more: Bool
    /// Keys from the start of this range to the end of the prefix, the returned ones included (for `remainingItemCount`).
    public var count: Int
    /// The store's revision when the range was read.
    public var revision: Int64

    public init(kvs: [KeyValue], more: Bool, count: Int, revision: Int64) {
        self.kvs = kvs
        self.more = more
        self.count = count
        self.revision = revision
    }
}

public struct StorageEvent: Sendable, Equatable {
    public enum EventType: Sendable { case put, delete }
    public var type: EventType
    /// For a put, the new value; for a delete, the last value with `modRevision` = the deletion's revision.
    public var kv: KeyValue
    public var prevKV: KeyValue?
    /// True when the key did not exist before this put.
    public var isCreate: Bool { type == .put && kv.createRevision == kv.modRevision }

    public init(type: EventType, kv: KeyValue, prevKV: KeyValue?) {
        self.type = type
        self.kv = kv
        self.prevKV = prevKV
    }
}

public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(key: String)
    case keyExists(key: String)
    case conflict(key: String, currentRevision: Int64)
    /// History before `compactedRevision` is gone; a watch must relist.
    case compacted(requested: Int64, compactedRevision: Int64)
    case unavailable(String)

    public var description: String {
        switch self {
        case .notFound(let key): return "key not found: \(key)"
        case .keyExists(let key): return "key exists: \(key)"
        case .conflict(let key, let rev): return "conflict on \(key): current mod revision \(rev)"
        case .compacted(let requested, let compacted): return "revision \(requested) is compacted (oldest \(compacted))"
        case .unavailable(let reason): return "storage unavailable: \(reason)"
        }
    }
}
