import Foundation
import KubeStorage
import Testing

/// One suite of etcd-model semantics, written against `any StorageBackend` so that every backend (the embedded
/// store now, etcd later) runs the same checks.
enum StorageConformance {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// The events of `stream` up to the batch after which `enough` holds; a watch that stays silent fails the test
    /// after `timeout` instead of hanging it. Stops iterating (which ends the watch) either way.
    static func events(from stream: AsyncThrowingStream<[StorageEvent], any Error>, timeout: Duration = .seconds(60),
                       until enough: @escaping @Sendable ([StorageEvent]) -> Bool) async throws -> [StorageEvent] {
        try await withThrowingTaskGroup(of: [StorageEvent]?.self) { group in
            group.addTask {
                var events: [StorageEvent] = []
                for try await batch in stream {
                    events += batch
                    if enough(events) { return events }
                }
                throw StorageTestError("the watch ended after \(events.count) events: \(events.map(\.kv.key))")
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let events = try await group.next() ?? nil else {
                throw StorageTestError("the watch delivered too little within \(timeout)")
            }
            return events
        }
    }

    static func createGetUpdateDelete(_ store: any StorageBackend) async throws {
        let r1 = try await store.create("/registry/configmaps/ns/a", value: bytes("1"))
        await #expect(throws: StorageError.keyExists(key: "/registry/configmaps/ns/a")) {
            try await store.create("/registry/configmaps/ns/a", value: bytes("again"))
        }
        let got = try #require(try await store.get("/registry/configmaps/ns/a"))
        #expect(got.value == bytes("1") && got.createRevision == r1 && got.modRevision == r1)
        let r2 = try await store.update("/registry/configmaps/ns/a", value: bytes("2"), expectedModRevision: r1)
        #expect(r2 > r1)
        // A writer holding the old revision loses: optimistic concurrency.
        await #expect(throws: StorageError.conflict(key: "/registry/configmaps/ns/a", currentRevision: r2)) {
            try await store.update("/registry/configmaps/ns/a", value: bytes("3"), expectedModRevision: r1)
        }
        let (deleted, r3) = try await store.delete("/registry/configmaps/ns/a", expectedModRevision: r2)
        #expect(deleted.value == bytes("2") && r3 > r2)
        #expect(try await store.get("/registry/configmaps/ns/a") == nil)
        await #expect(throws: StorageError.notFound(key: "/registry/configmaps/ns/a")) {
            try await store.delete("/registry/configmaps/ns/a", expectedModRevision: nil)
        }
        #expect(try await store.currentRevision() == r3)
    }

    /// Each write returns the revision it got, also while other writes commit around it (the resourceVersion a
    /// client reads back from an update must be the key's mod revision).
    static func concurrentWritesReturnTheirOwnRevisions(_ store: any StorageBackend) async throws {
        var revisions: [String: Int64] = [:]
        for i in 0..<16 { revisions["/registry/leases/ns/\(i)"] = try await store.create("/registry/leases/ns/\(i)", value: bytes("0")) }
        let updated = try await withThrowingTaskGroup(of: (String, Int64).self) { group in
            for (key, revision) in revisions {
                group.addTask { (key, try await store.update(key, value: bytes("1"), expectedModRevision: revision)) }
            }
            return try await group.reduce(into: [String: Int64]()) { $0[$1.0] = $1.1 }
        }
        for (key, revision) in updated {
            #expect(try await store.get(key)?.modRevision == revision, "\(key)")
        }
    }

    static func rangeWithPrefixAndPaging(_ store: any StorageBackend) async throws {
        for name in ["c", "a", "b", "d"] { _ = try await store.create("/registry/pods/ns1/\(name)", value: bytes(name)) }
        _ = try await store.create("/registry/pods/ns10/x", value: bytes("x"))
        _ = try await store.create("/registry/pods/ns2/y", value: bytes("y"))
        let all = try await store.range(prefix: "/registry/pods/ns1/", startAfter: nil, limit: 0)
        #expect(all.kvs.map(\.key) == ["a", "b", "c", "d"].map { "/registry/pods/ns1/\($0)" })
        #expect(!all.more)
        let page1 = try await store.range(prefix: "/registry/pods/ns1/", startAfter: nil, limit: 3)
        #expect(page1.kvs.count == 3 && page1.more && page1.count == 4)
        let page2 = try await store.range(prefix: "/registry/pods/ns1/", startAfter: page1.kvs.last?.key, limit: 3)
        #expect(page2.kvs.map(\.key) == ["/registry/pods/ns1/d"] && !page2.more)
        let everything = try await store.range(prefix: "/registry/pods/", startAfter: nil, limit: 0)
        #expect(everything.kvs.count == 6)
    }

    static func watchFromRevisionDeliversEachEventOnce(_ store: any StorageBackend) async throws {
        let start = try await store.currentRevision()
        _ = try await store.create("/registry/leases/ns/a", value: bytes("1"))
        let stream = try await store.watch(prefix: "/registry/leases/", afterRevision: start)
        let r2 = try await store.update("/registry/leases/ns/a", value: bytes("2"), expectedModRevision: start + 1)
        _ = try await store.create("/registry/other/ns/z", value: bytes("ignored"))
        _ = try await store.delete("/registry/leases/ns/a", expectedModRevision: r2)
        let events = try await Self.events(from: stream) { $0.count >= 3 }
        #expect(events.map(\.type) == [.put, .put, .delete])
        #expect(events[0].isCreate && !events[1].isCreate)
        #expect(events[1].prevKV?.value == bytes("1"))
        #expect(events[2].kv.value == bytes("2"))
        #expect(events.map(\.kv.modRevision) == events.map(\.kv.modRevision).sorted())
        // Resuming from the revision of the second event replays only the third.
        let resumed = try await store.watch(prefix: "/registry/leases/", afterRevision: events[1].kv.modRevision)
        #expect(try await Self.events(from: resumed) { !$0.isEmpty }.map(\.type) == [.delete])
    }
}

@Suite struct EmbeddedStoreTests {
    /// A store lets go of its directory when the last reference to it goes, which a task still finishing its work
    /// can delay (on a loaded machine, noticeably): polls until the directory's lock is free.
    static func waitUntilReleased(_ dir: String, timeout: Duration = .seconds(60)) async throws {
        let fd = open(dir + "/lock", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let deadline = ContinuousClock.now + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard ContinuousClock.now < deadline else { throw StorageTestError("\(dir) is still locked after \(timeout)") }
            try await Task.sleep(for: .milliseconds(10))
        }
        flock(fd, LOCK_UN)
    }

    func withStore(_ body: (EmbeddedStore, String) async throws -> Void) async throws {
        let dir = NSTemporaryDirectory() + "kubestrap-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await body(try EmbeddedStore(options: .init(directory: dir)), dir)
    }

    @Test func createGetUpdateDelete() async throws { try await withStore { s, _ in try await StorageConformance.createGetUpdateDelete(s) } }
    @Test func rangeWithPrefixAndPaging() async throws { try await withStore { s, _ in try await StorageConformance.rangeWithPrefixAndPaging(s) } }
    @Test func concurrentWrites() async throws { try await withStore { s, _ in try await StorageConformance.concurrentWritesReturnTheirOwnRevisions(s) } }
    @Test func watchFromRevision() async throws { try await withStore { s, _ in try await StorageConformance.watchFromRevisionDeliversEachEventOnce(s) } }

    @Test func acknowledgedWritesSurviveReopen() async throws {
        let dir = NSTemporaryDirectory() + "kubestrap-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var revision: Int64 = 0
        do {
            let store = try EmbeddedStore(options: .init(directory: dir))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<50 { group.addTask { _ = try await store.create("/registry/configmaps/ns/c\(i)", value: Array("v\(i)".utf8)) } }
                try await group.waitForAll()
            }
            revision = try await store.currentRevision()
        }
        try await Self.waitUntilReleased(dir)
        let reopened = try EmbeddedStore(options: .init(directory: dir))
        #expect(try await reopened.currentRevision() == revision)
        #expect(try await reopened.range(prefix: "/registry/configmaps/", startAfter: nil, limit: 0).kvs.count == 50)
        // History is rebuilt from the log, so a watch can resume from before the restart.
        let stream = try await reopened.watch(prefix: "/registry/configmaps/", afterRevision: revision - 1)
        #expect(try await StorageConformance.events(from: stream) { !$0.isEmpty }.map(\.kv.modRevision) == [revision])
    }

    @Test func aTornTailIsCutOffOnStart() async throws {
        let dir = NSTemporaryDirectory() + "kubestrap-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let store = try EmbeddedStore(options: .init(directory: dir))
            _ = try await store.create("/registry/a", value: Array("kept".utf8))
        }
        try await Self.waitUntilReleased(dir)
        // A power cut in the middle of an append leaves a partial record.
        let handle = try #require(FileHandle(forWritingAtPath: dir + "/wal-0000000000000001"))
        handle.seekToEndOfFile()
        handle.write(Data([0x40, 0, 0, 0, 1, 2, 3, 4, 5]))
        try handle.close()
        let store = try EmbeddedStore(options: .init(directory: dir))
        #expect(try await store.get("/registry/a")?.value == Array("kept".utf8))
        _ = try await store.create("/registry/b", value: Array("after".utf8))
        let again = try EmbeddedStore.reopenForTesting(store, directory: dir)
        #expect(try await again.get("/registry/b")?.value == Array("after".utf8))
    }

    @Test func aSecondProcessCannotOpenTheSameDirectory() async throws {
        try await withStore { _, dir in
            #expect(throws: StorageError.self) { try EmbeddedStore(options: .init(directory: dir)) }
        }
    }

    @Test func snapshotsKeepStateAndShrinkTheLog() async throws {
        let dir = NSTemporaryDirectory() + "kubestrap-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EmbeddedStore.Options(directory: dir)
        options.snapshotThreshold = 4096
        do {
            let store = try EmbeddedStore(options: options)
            for i in 0..<200 { _ = try await store.create("/registry/k\(i)", value: Array(repeating: 65, count: 100)) }
            _ = try await store.delete("/registry/k0", expectedModRevision: nil)
        }
        // Older segments are deleted once their snapshot is written, in the background; the store releases the
        // directory when that work is done. Poll for both.
        let deadline = Date().addingTimeInterval(30)
        var reopened: EmbeddedStore?
        var logBytes = Int.max
        repeat {
            let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("wal-") }
            logBytes = names.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + $1)[.size] as? Int) ?? 0) }
            if logBytes < 8192 { reopened = try? EmbeddedStore(options: options) }
            if reopened == nil { try await Task.sleep(nanoseconds: 10_000_000) }
        } while reopened == nil && Date() < deadline
        #expect(logBytes < 8192)
        let store = try #require(reopened)
        #expect(try await store.range(prefix: "/registry/", startAfter: nil, limit: 0).kvs.count == 199)
        #expect(try await store.currentRevision() == 201)
    }
}

struct StorageTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
