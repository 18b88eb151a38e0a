import Dispatch
import Foundation

/// The default backend: all keys in memory, every write appended to a write-ahead log and fsynced before the
/// caller hears of it. Concurrent writers share one fsync (group commit), which is what makes durable creates fast.
/// Watch history is the retained event log (the last `historyLimit` events or `historyWindow` seconds, whichever
/// keeps more), rebuilt from the log on start so a client may resume a watch across an apiserver restart.
public actor EmbeddedStore: StorageBackend {
    public struct Options: Sendable {
        public var directory: String
        /// Once the log grows past this, the state is written as a snapshot and the log restarts.
        public var snapshotThreshold: Int = 64 << 20
        public var historyLimit: Int = 20_000
        public var historyWindow: Double = 300
        /// Commits a watcher may fall behind before it is ended.
        public var watcherBuffer: Int = 10_000

        public init(directory: String) { self.directory = directory }
    }

    private struct HistoryEntry {
        var event: StorageEvent
        var time: Double
    }

    private struct Watcher {
        var prefix: String
        var afterRevision: Int64
        var continuation: AsyncThrowingStream<[StorageEvent], any Error>.Continuation
    }

    private let options: Options
    private let files: WALFiles
    private let io = DispatchQueue(label: "kubestrap.embedded-store.io")
    private let snapshotQueue = DispatchQueue(label: "kubestrap.embedded-store.snapshot")
    private var snapshotting = false
    private var snapshotFailures = 0

    private var items: [String: KeyValue] = [:]
    private var sortedKeys: [String] = []
    private var revision: Int64 = 0
    /// Events in revision order, oldest first; `historyStart` indexes the first retained one.
    private var history: [HistoryEntry] = []
    private var historyStart = 0
    /// Revisions at or below this cannot be watched from (they left the history).
    private var compactedRevision: Int64 = 0

    private var pendingBytes: [UInt8] = []
    private var pendingEvents: [StorageEvent] = []
    private var waiters: [CheckedContinuation<Void, any Error>] = []
    private var flushing = false
    private var failure: StorageError?

    private var watchers: [Int: Watcher] = [:]
    private var nextWatcherID = 0
    /// `close` callers waiting for the flushes and the snapshot under way to end.
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    public init(options: Options) throws {
        self.options = options
        files = try WALFiles(directory: options.directory)
        let snapshot = WALRecord.decodeAll(try files.readSnapshot())
        let segments = try files.readSegments().map(WALRecord.decodeAll)
        var items: [String: KeyValue] = [:]
        var revision: Int64 = 0
        for record in snapshot.records {
            switch record.op {
            case .snapshotHeader: revision = record.revision
            case .put: items[record.key] = KeyValue(key: record.key, value: record.value,
                                                   createRevision: record.createRevision, modRevision: record.revision)
            case .delete: items[record.key] = nil
            }
        }
        let compacted = revision
        var history: [HistoryEntry] = []
        let now = Date().timeIntervalSince1970
        for record in segments.flatMap(\.records) where record.revision > revision {
            revision = record.revision
            let prev = items[record.key]
            switch record.op {
            case .put:
                let kv = KeyValue(key: record.key, value: record.value, createRevision: record.createRevision,
                                  modRevision: record.revision)
                items[record.key] = kv
                history.append(HistoryEntry(event: StorageEvent(type: .put, kv: kv, prevKV: prev), time: now))
            case .delete:
                items[record.key] = nil
                if let prev {
                    var gone = prev
                    gone.modRevision = record.revision
                    history.append(HistoryEntry(event: StorageEvent(type: .delete, kv: gone, prevKV: prev), time: now))
                }
            case .snapshotHeader: break
            }
        }
        if let current = segments.last, current.validLength < files.logSize { try files.truncateLog(to: current.validLength) }
        self.items = items
        self.sortedKeys = items.keys.sorted()
        self.revision = revision
        self.history = history
        self.compactedRevision = compacted
    }

    // MARK: reads

    public func get(_ key: String) throws -> KeyValue? {
        if let failure { throw failure }
        return items[key]
    }

    public func range(prefix: String, startAfter: String?, limit: Int) throws -> RangeResult {
        if let failure { throw failure }
        let first = lowerBound(prefix)
        var end = first
        while end < sortedKeys.count, sortedKeys[end].hasPrefix(prefix) { end += 1 }
        var start = first
        if let startAfter, startAfter >= prefix {
            start = max(first, upperBound(startAfter))
        }
        var kvs: [KeyValue] = []
        var index = start
        while index < end, limit <= 0 || kvs.count < limit {
            if let kv = items[sortedKeys[index]] { kvs.append(kv) }
            index += 1
        }
        return RangeResult(kvs: kvs, more: index < end, count: end - start, revision: revision)
    }

    public func currentRevision() throws -> Int64 {
        if let failure { throw failure }
        return revision
    }

    public func healthCheck() throws {
        if let failure { throw failure }
    }

    // MARK: writes

    public func create(_ key: String, value: [UInt8]) async throws -> Int64 {
        if let failure { throw failure }
        guard items[key] == nil else { throw StorageError.keyExists(key: key) }
        revision += 1
        let kv = KeyValue(key: key, value: value, createRevision: revision, modRevision: revision)
        items[key] = kv
        sortedKeys.insert(key, at: lowerBound(key))
        let record = WALRecord(op: .put, revision: revision, createRevision: revision, key: key, value: value)
        try await commit(record, StorageEvent(type: .put, kv: kv, prevKV: nil))
        return kv.modRevision
    }

    public func update(_ key: String, value: [UInt8], expectedModRevision: Int64) async throws -> Int64 {
        if let failure { throw failure }
        guard let prev = items[key] else { throw StorageError.notFound(key: key) }
        guard prev.modRevision == expectedModRevision else {
            throw StorageError.conflict(key: key, currentRevision: prev.modRevision)
        }
        revision += 1
        let kv = KeyValue(key: key, value: value, createRevision: prev.createRevision, modRevision: revision)
        items[key] = kv
        let record = WALRecord(op: .put, revision: revision, createRevision: prev.createRevision, key: key, value: value)
        try await commit(record, StorageEvent(type: .put, kv: kv, prevKV: prev))
        // Not `revision`: other writes may have moved it while this one waited for its fsync.
        return kv.modRevision
    }

    public func delete(_ key: String, expectedModRevision: Int64?) async throws -> (deleted: KeyValue, revision: Int64) {
        if let failure { throw failure }
        guard let prev = items[key] else { throw StorageError.notFound(key: key) }
        if let expectedModRevision, prev.modRevision != expectedModRevision {
            throw StorageError.conflict(key: key, currentRevision: prev.modRevision)
        }
        revision += 1
        items[key] = nil
        let index = lowerBound(key)
        if index < sortedKeys.count, sortedKeys[index] == key { sortedKeys.remove(at: index) }
        var gone = prev
        gone.modRevision = revision
        let record = WALRecord(op: .delete, revision: revision, createRevision: prev.createRevision, key: key, value: [])
        let deletedAt = revision
        try await commit(record, StorageEvent(type: .delete, kv: gone, prevKV: prev))
        return (prev, deletedAt)
    }

    /// Queues the record and waits until a flush has made it durable.
    private func commit(_ record: WALRecord, _ event: StorageEvent) async throws {
        pendingBytes.append(contentsOf: record.encoded())
        pendingEvents.append(event)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waiters.append(continuation)
            if !flushing {
                flushing = true
                Task { await self.flushLoop() }
            }
        }
    }

    private func flushLoop() async {
        while !pendingBytes.isEmpty {
            let bytes = pendingBytes
            let events = pendingEvents
            let batch = waiters
            pendingBytes = []
            pendingEvents = []
            waiters = []
            let files = self.files
            let result: Result<Void, StorageError> = await withCheckedContinuation { continuation in
                io.async {
                    do {
                        try files.appendDurably(bytes)
                        continuation.resume(returning: .success(()))
                    } catch let error as StorageError {
                        continuation.resume(returning: .failure(error))
                    } catch {
                        continuation.resume(returning: .failure(.unavailable("\(error)")))
                    }
                }
            }
            switch result {
            case .success:
                publish(events)
                for waiter in batch { waiter.resume() }
            case .failure(let error):
                // The in-memory state is now ahead of the disk; refuse everything rather than serve it.
                failure = error
                for waiter in batch { waiter.resume(throwing: error) }
                for waiter in waiters { waiter.resume(throwing: error) }
                waiters = []
                pendingBytes = []
                for watcher in watchers.values { watcher.continuation.finish(throwing: error) }
                watchers = [:]
            }
        }
        if failure == nil, !snapshotting, files.logSize > options.snapshotThreshold { await startSnapshot() }
        flushing = false
        if !pendingBytes.isEmpty {
            flushing = true
            Task { await self.flushLoop() }
        }
        resumeIdleWaiters()
    }

    /// Rotates to a new segment at the current revision (nothing is pending: called right after a flush), then
    /// encodes and writes the snapshot on another queue while writers keep appending to the new segment.
    private func startSnapshot() async {
        let files = self.files
        let revision = self.revision
        // Copy-on-write: these copies cost nothing until the next write touches the originals. Taken before the
        // rotation so the snapshot holds exactly the state at `revision`.
        let items = self.items
        let keys = self.sortedKeys
        let rotated: Bool = await withCheckedContinuation { continuation in
            io.async { continuation.resume(returning: (try? files.rotate(after: revision)) != nil) }
        }
        guard rotated else {
            failure = .unavailable("cannot start a new log segment in \(files.directory)")
            return
        }
        snapshotting = true
        let keep = WALFiles.segmentName(revision + 1)
        snapshotQueue.async {
            var bytes = WALRecord(op: .snapshotHeader, revision: revision, createRevision: 0, key: "", value: []).encoded()
            for key in keys {
                guard let kv = items[key] else { continue }
                bytes += WALRecord(op: .put, revision: kv.modRevision, createRevision: kv.createRevision, key: key,
                                   value: kv.value).encoded()
            }
            let ok = (try? files.writeSnapshot(bytes, keep: keep)) != nil
            Task { await self.snapshotFinished(ok: ok) }
        }
    }

    private func snapshotFinished(ok: Bool) {
        snapshotting = false
        // A failed snapshot loses nothing (the older segments stay); the next one retries.
        if !ok { snapshotFailures += 1 }
        resumeIdleWaiters()
    }

    private func resumeIdleWaiters() {
        guard !flushing, !snapshotting else { return }
        let waiting = idleWaiters
        idleWaiters = []
        for waiter in waiting { waiter.resume() }
    }

    /// Stops taking requests (they fail as unavailable), waits until the writes under way are durable and a snapshot
    /// being written is done, ends the watches and lets go of the directory's lock: once it returns another store
    /// may open the directory and find every acknowledged write, with nothing of this one still writing there.
    public func close() async {
        if failure == nil { failure = .unavailable("the store at \(files.directory) is closed") }
        while flushing || snapshotting {
            await withCheckedContinuation { idleWaiters.append($0) }
        }
        for watcher in watchers.values { watcher.continuation.finish() }
        watchers = [:]
        files.releaseLock()
    }

    // MARK: watch

    private func publish(_ events: [StorageEvent]) {
        let now = Date().timeIntervalSince1970
        for event in events { history.append(HistoryEntry(event: event, time: now)) }
        for (id, watcher) in watchers {
            let batch = events.filter { $0.kv.modRevision > watcher.afterRevision && $0.kv.key.hasPrefix(watcher.prefix) }
            guard !batch.isEmpty else { continue }
            // A watcher that stopped reading is ended (as upstream closes unresponsive watchers) rather than
            // buffered without bound; it resumes from its last revision with nothing lost.
            if case .dropped = watcher.continuation.yield(batch) {
                watcher.continuation.finish()
                watchers[id] = nil
            }
        }
        trimHistory(now: now)
    }

    private func trimHistory(now: Double) {
        let retained = history.count - historyStart
        guard retained > options.historyLimit / 10 else { return }
        while historyStart < history.count, history.count - historyStart > options.historyLimit
            || (now - history[historyStart].time > options.historyWindow && history.count - historyStart > 1000) {
            compactedRevision = history[historyStart].event.kv.modRevision
            historyStart += 1
        }
        if historyStart > 4096, historyStart * 2 > history.count {
            history.removeFirst(historyStart)
            historyStart = 0
        }
    }

    public func watch(prefix: String, afterRevision: Int64) throws -> AsyncThrowingStream<[StorageEvent], any Error> {
        if let failure { throw failure }
        let oldest = historyStart < history.count ? history[historyStart].event.kv.modRevision - 1 : revision
        let floor = max(compactedRevision, min(oldest, revision))
        if afterRevision < floor {
            throw StorageError.compacted(requested: afterRevision, compactedRevision: floor)
        }
        let (stream, continuation) = AsyncThrowingStream<[StorageEvent], any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(options.watcherBuffer))
        var delivered = afterRevision
        var replay: [StorageEvent] = []
        for index in historyStart..<history.count {
            let event = history[index].event
            if event.kv.modRevision > afterRevision, event.kv.key.hasPrefix(prefix) {
                replay.append(event)
                if replay.count == 1000 {
                    continuation.yield(replay)
                    replay = []
                }
            }
            delivered = max(delivered, event.kv.modRevision)
        }
        if !replay.isEmpty { continuation.yield(replay) }
        let id = nextWatcherID
        nextWatcherID += 1
        watchers[id] = Watcher(prefix: prefix, afterRevision: delivered, continuation: continuation)
        continuation.onTermination = { _ in Task { await self.removeWatcher(id) } }
        return stream
    }

    private func removeWatcher(_ id: Int) { watchers[id] = nil }

    /// Releases `store`'s files and opens the directory again, as a restart would (tests only; the actor
    /// otherwise holds the lock for its lifetime).
    public static func reopenForTesting(_ store: EmbeddedStore, directory: String) throws -> EmbeddedStore {
        store.files.releaseLock()
        return try EmbeddedStore(options: .init(directory: directory))
    }

    // MARK: sorted keys

    private func lowerBound(_ key: String) -> Int {
        var low = 0, high = sortedKeys.count
        while low < high {
            let mid = (low + high) / 2
            if sortedKeys[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private func upperBound(_ key: String) -> Int {
        var low = 0, high = sortedKeys.count
        while low < high {
            let mid = (low + high) / 2
            if sortedKeys[mid] <= key { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
