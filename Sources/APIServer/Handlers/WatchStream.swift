import KubeJSON
import KubeStorage
import Synchronization

/// A watch as upstream serves it: newline-delimited `{"type":…,"object":…}` events, optionally starting with the
/// current state, with BOOKMARKs when asked, an ERROR event with 410 Expired for a compacted resourceVersion,
/// and an end after `timeoutSeconds` (or a random 30–60 min, from --min-request-timeout).
struct WatchStream {
    let handler: ResourceHandler
    let media: MediaType

    var def: ResourceDefinition { handler.def }
    var store: GenericStore { handler.store }

    /// A resourceVersion beyond the store's is waited for a moment (it may be a write this server has not seen yet,
    /// on etcd) and then refused as upstream's watch cache refuses it: 504 with cause ResourceVersionTooLarge, so a
    /// client retries instead of watching from a revision that may never come.
    static func waitUntilFresh(_ revision: Int64, storage: any StorageBackend, wait: Duration = .seconds(3)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: wait)
        var current = try await storage.currentRevision()
        while current < revision, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            current = try await storage.currentRevision()
        }
        guard current < revision else { return }
        var error = StatusError(code: 504, reason: "Timeout",
                                message: "Timeout: Too large resource version: \(revision), current: \(current)",
                                details: ["causes": [["reason": "ResourceVersionTooLarge", "message": "Too large resource version"]],
                                          "retryAfterSeconds": 1])
        error.headers = [("Retry-After", "1")]
        throw error
    }

    func start() async throws -> APIResponse {
        let options = try handler.listOptions()
        if let fs = options.fieldSelector { try fs.validate(supported: store.supportedFields) }
        let storage = handler.server.storage
        let prefix = def.prefix(namespace: handler.namespace)
        let rv = options.resourceVersion ?? ""
        let sendInitial = options.sendInitialEvents ?? (rv.isEmpty || rv == "0")
        if options.sendInitialEvents == true, options.resourceVersionMatch != "NotOlderThan" {
            throw StatusError.invalid(kind: "ListOptions", group: "meta.k8s.io", name: "", [
                .forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")])
        }
        var afterRevision: Int64
        var initial: [JSONValue] = []
        if sendInitial {
            var listOptions = options
            listOptions.limit = 0
            listOptions.continueToken = nil
            let list = try await store.list(namespace: handler.namespace, options: listOptions)
            initial = list.items
            afterRevision = Int64(list.resourceVersion) ?? 0
        } else {
            guard let n = Int64(rv), n >= 0 else {
                throw StatusError.badRequest("invalid resource version: \(rv)")
            }
            try await Self.waitUntilFresh(n, storage: storage)
            afterRevision = n
        }
        let events: AsyncThrowingStream<[StorageEvent], any Error>?
        var expired: StatusError?
        do {
            events = try await storage.watch(prefix: prefix, afterRevision: afterRevision)
        } catch StorageError.compacted(let requested, let compacted) {
            events = nil
            expired = StatusError.gone("too old resource version: \(requested) (\(compacted))")
        }
        // A client that does not read is disconnected once this much is queued, not buffered without bound.
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingOldest(4096))
        let converter = EventConverter(store: store, options: options, media: media, includeObject: handler.query["includeObject"])
        let lastRevision = LockedValue<Int64>(afterRevision)
        let metrics = handler.server.metrics
        let kind = "\(def.group)/\(def.version), Kind=\(def.kind)"
        let timeout = Double(options.timeoutSeconds
            ?? handler.server.options.minRequestTimeout + Int.random(in: 0...max(0, handler.server.options.minRequestTimeout)))
        let bookmarkInterval = handler.server.options.bookmarkInterval
        let closers = handler.server.watches

        let pump = Task {
            metrics.watchStarted(kind)
            if let expired {
                continuation.yield(converter.line(.error, expired.status))
            } else {
                // The initial state in chunks; a client too slow to take it is disconnected (it relists) rather
                // than handed a stream with holes.
                var chunk: [UInt8] = []
                var overflow = false
                for (i, object) in initial.enumerated() {
                    chunk += converter.encode(.added, object)
                    if i % 256 == 255 || i == initial.count - 1 {
                        if case .dropped = continuation.yield(chunk) { overflow = true; break }
                        chunk = []
                    }
                }
                if overflow {
                    metrics.watchEnded(kind)
                    continuation.finish()
                    return
                }
                if options.sendInitialEvents == true, options.allowWatchBookmarks {
                    continuation.yield(converter.bookmark(afterRevision, initialEventsEnd: true))
                }
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        guard let events else { return }
                        do {
                            // One storage batch (one commit) becomes one write to the client.
                            for try await batch in events {
                                var chunk: [UInt8] = []
                                for event in batch {
                                    if let (type, object) = converter.convert(event) {
                                        chunk += converter.encode(type, object)
                                    }
                                }
                                if !chunk.isEmpty, case .dropped = continuation.yield(chunk) { return }
                                if let last = batch.last { lastRevision.value = last.kv.modRevision }
                            }
                        } catch StorageError.compacted(let requested, let compacted) {
                            // A remote store (etcd) reports compaction on the watch stream rather than when asked.
                            continuation.yield(converter.line(.error, StatusError.gone("too old resource version: \(requested) (\(compacted))").status))
                        } catch let error as StorageError {
                            continuation.yield(converter.line(.error, StatusError.internalError("\(error)").status))
                        } catch {}
                    }
                    group.addTask {
                        // Ends the watch at its timeout and sends bookmarks in between.
                        let started = Timestamp.monotonic()
                        var nextBookmark = started + bookmarkInterval
                        while !Task.isCancelled {
                            let now = Timestamp.monotonic()
                            if now - started >= timeout { return }
                            if options.allowWatchBookmarks, now >= nextBookmark {
                                continuation.yield(converter.bookmark(lastRevision.value, initialEventsEnd: false))
                                nextBookmark = now + bookmarkInterval
                            }
                            // Asleep until the next thing to do: a wake-up a second per watch was most of an idle
                            // server's CPU once controllers watched every resource.
                            var wake = started + timeout
                            if options.allowWatchBookmarks { wake = min(wake, nextBookmark) }
                            try? await Task.sleep(nanoseconds: UInt64(max(0.01, min(wake - now, 3600)) * 1e9))
                        }
                    }
                    await group.next()
                    group.cancelAll()
                }
            }
            metrics.watchEnded(kind)
            continuation.finish()
        }
        let id = await closers.add { continuation.finish() }
        continuation.onTermination = { _ in
            pump.cancel()
            Task { await closers.remove(id) }
        }
        let contentType = media.protobuf ? ProtobufEncoder.watchContentType : "application/json"
        return APIResponse(status: 200, headers: [("content-type", contentType), ("cache-control", "no-cache, private")],
                           body: .stream(stream))
    }
}

/// Turns storage events into watch events for one watcher: decodes, applies the selectors (an object that
/// stops matching is DELETED for this watcher, one that starts matching is ADDED), and encodes the line.
struct EventConverter: Sendable {
    let store: GenericStore
    let options: ListOptions
    let media: MediaType
    let includeObject: String?

    func convert(_ event: StorageEvent) -> (WatchEvent.EventType, JSONValue)? {
        switch event.type {
        case .put:
            guard let object = try? store.decode(event.kv) else { return nil }
            let now = store.matches(object, options: options)
            let before = event.prevKV.flatMap { try? store.decode($0) }.map { store.matches($0, options: options) } ?? false
            switch (before, now) {
            case (_, true) where event.prevKV == nil: return (.added, object)
            case (true, true): return (.modified, object)
            case (false, true): return (.added, object)
            case (true, false): return (.deleted, object)
            default: return nil
            }
        case .delete:
            guard var object = try? store.decode(event.prevKV ?? event.kv), store.matches(object, options: options) else { return nil }
            object.setMeta("resourceVersion", .string(String(event.kv.modRevision)))
            return (.deleted, object)
        }
    }

    func encode(_ type: WatchEvent.EventType, _ object: JSONValue) -> [UInt8] {
        switch media.form {
        case .table:
            var table = TableConverter(definition: store.definition, includeObject: includeObject, version: media.tableVersion)
                .table([object])
            table["metadata"] = ["resourceVersion": .string(object.metaResourceVersion)]
            return line(type, table)
        case .partialMetadata:
            return line(type, TableConverter.partialMetadata(object))
        default:
            return line(type, object)
        }
    }

    func bookmark(_ revision: Int64, initialEventsEnd: Bool) -> [UInt8] {
        var metadata: JSONValue = ["resourceVersion": .string(String(revision))]
        if initialEventsEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
        var object: JSONValue = ["kind": .string(store.definition.kind), "apiVersion": .string(store.definition.apiVersion),
                                 "metadata": metadata]
        // A metadata watch's bookmark is partial metadata too (a custom resource's kind has no protobuf message).
        if media.form == .partialMetadata { object = TableConverter.partialMetadata(object) }
        return line(.bookmark, object)
    }

    /// One event in the negotiated framing: a JSON line, or a length-prefixed protobuf WatchEvent.
    func line(_ type: WatchEvent.EventType, _ object: JSONValue) -> [UInt8] {
        if media.protobuf {
            // Negotiation offers protobuf only for kinds that have a message; a JSON line would break the framing.
            return ProtobufEncoder.watchFrame(type: type.rawValue, object: object) ?? []
        }
        return Self.jsonLine(type, object)
    }

    static func jsonLine(_ type: WatchEvent.EventType, _ object: JSONValue) -> [UInt8] {
        var out = Array("{\"type\":\"\(type.rawValue)\",\"object\":".utf8)
        JSONWriter.append(object, to: &out)
        out.append(contentsOf: Array("}\n".utf8))
        return out
    }
}

/// Open watches, so that shutdown can end them cleanly instead of cutting the connections.
public actor WatchRegistry {
    private var closers: [Int: @Sendable () -> Void] = [:]
    private var next = 0

    func add(_ closer: @escaping @Sendable () -> Void) -> Int {
        next += 1
        closers[next] = closer
        return next
    }

    func remove(_ id: Int) { closers[id] = nil }

    public func closeAll() {
        for closer in closers.values { closer() }
        closers = [:]
    }

}
