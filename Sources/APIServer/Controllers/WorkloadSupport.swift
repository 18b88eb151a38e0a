import KubeAPI
import KubeJSON
import KubeStorage
import Logging
import Synchronization

/// What the workload controllers share: owner references, pods made from templates, readiness, and the coalescing
/// loop that runs one controller pass after a burst of changes.
enum Workloads {
    static func ownerReference(_ owner: JSONValue, blockOwnerDeletion: Bool = true) -> JSONValue {
        ["apiVersion": owner["apiVersion"] ?? "", "kind": owner["kind"] ?? "", "name": .string(owner.metaName),
         "uid": .string(owner.metaUID), "controller": true, "blockOwnerDeletion": .bool(blockOwnerDeletion)]
    }

    /// The UID of the object's controlling owner, if any.
    static func controllerUID(_ object: JSONValue) -> String? {
        object[path: ["metadata", "ownerReferences"]]?.array?.first { $0["controller"]?.bool == true }?["uid"]?.string
    }

    static func isActive(_ pod: JSONValue) -> Bool {
        pod.metaDeletionTimestamp == nil && !["Succeeded", "Failed"].contains(pod[path: ["status", "phase"]]?.string ?? "")
    }

    static func isReady(_ pod: JSONValue) -> Bool {
        pod[path: ["status", "conditions"]]?.array?.contains { $0["type"] == "Ready" && $0["status"] == "True" } == true
    }

    /// A pod from a template, owned by `owner` (upstream's GetPodFromTemplate): `<prefix>-<5 random>`.
    static func pod(from template: JSONValue, owner: JSONValue, namePrefix: String, extraLabels: [String: String] = [:]) -> JSONValue {
        var labels = template[path: ["metadata", "labels"]]?.object ?? [:]
        for (k, v) in extraLabels { labels[k] = .string(v) }
        var metadata: JSONValue = ["generateName": .string(namePrefix + "-"), "namespace": .string(owner.metaNamespace),
                                   "labels": .object(labels), "ownerReferences": [ownerReference(owner)]]
        if let annotations = template[path: ["metadata", "annotations"]] { metadata["annotations"] = annotations }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"] ?? .emptyObject]
    }

    /// Runs `pass` once per burst of changes under the prefixes, until the task is cancelled.
    static func run(server: APIServer, prefixes: [String], logger: Logger, pass: @escaping @Sendable () async -> Void) async {
        await run(server: server, prefixes: prefixes, logger: logger) { () async -> Double? in
            await pass()
            return nil
        }
    }

    /// As above, for controllers that act on time as well as on changes (backoff, deadlines, schedules): `pass`
    /// returns how many seconds from now it wants to run again, and runs then if nothing changed before.
    static func run(server: APIServer, prefixes: [String], logger: Logger, pass: @escaping @Sendable () async -> Double?) async {
        let (dirty, mark) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            for prefix in prefixes {
                group.addTask { await StorageReflector(storage: server.storage, prefix: prefix, logger: logger).run { _ in mark.yield() } }
            }
            group.addTask {
                var timer: Task<Void, Never>?
                for await _ in dirty {
                    timer?.cancel()
                    timer = nil
                    if let delay = await pass() {
                        timer = Task {
                            try? await Task.sleep(for: .milliseconds(Self.milliseconds(delay)))
                            if !Task.isCancelled { mark.yield() }
                        }
                    }
                }
                timer?.cancel()
            }
        }
    }

    /// A pass's requested delay as a sleep: at least 50 ms, at most a day (a deadline years away, from an int64
    /// field, is still looked at daily), and never a trap on NaN or infinity.
    static func milliseconds(_ seconds: Double) -> Int64 {
        guard seconds.isFinite else { return seconds == .infinity ? 86_400_000 : 50 }
        return Int64(saturating: min(max(seconds, 0.05), 86_400) * 1000)
    }

    /// How an object is named in logs and in its controller's retry bookkeeping (`Deployment ns/web`).
    static func key(_ object: JSONValue) -> String {
        let kind = object["kind"]?.string ?? "object"
        return "\(kind) \(object.metaNamespace.isEmpty ? "" : object.metaNamespace + "/")\(object.metaName)"
    }

    /// Reconciles one object on its own, as upstream's rate-limited work queues do: an error is logged with the
    /// object and brings a retry with backoff, and the pass goes on with the others. Until that retry is due the
    /// object is left alone, unless it changed (a new resourceVersion may be the fix): passes brought by changes to
    /// other objects do not retry it, nor log it again. The seconds until this object wants another pass (its own
    /// wish, or the retry), if any.
    static func reconcile(_ object: JSONValue, component: String, backoff: RetryBackoff, logger: Logger,
                          _ body: () async throws -> Double?) async -> Double? {
        let key = key(object)
        let version = object.metaResourceVersion
        if let wait = backoff.wait(key, resourceVersion: version) { return wait }
        do {
            let next = try await body()
            backoff.succeeded(key)
            return next
        } catch {
            let delay = backoff.failed(key, resourceVersion: version)
            logger.warning("\(component): syncing \(key) failed, retrying in \(oneDecimal(delay))s: \((error as? StatusError)?.message ?? "\(error)")")
            return delay
        }
    }

    /// A write that lost a race (409) or whose object went away (404) needs no retry: the change that caused it brings
    /// another pass. Anything else is a failure of this object's reconciliation.
    static func isExpected(_ error: any Error) -> Bool {
        guard let status = error as? StatusError else { return false }
        return status.code == 409 || status.code == 404
    }

    /// A count for an int32 field, at Int32's bounds (sums of clamped fields can pass them).
    static func int32(_ n: Int) -> JSONValue { .int(Int64(Int32(clamping: n))) }

    static func context(_ component: String) -> RequestContext {
        RequestContext(user: UserInfo(name: "system:kube-controller-manager", groups: ["system:masters"]), fieldManager: component)
    }

    /// Writes `status` through the status subresource when it differs from the object's, only over the version it
    /// was computed from (as upstream's UpdateStatus): a status from a stale read must not undo another writer's
    /// change, and that change brings another pass anyway. The object as written, or nil when nothing was.
    /// Throws what is not a lost race (a refused status is this object's failure, retried with backoff).
    @discardableResult
    static func updateStatus(_ object: JSONValue, _ status: JSONValue, store: GenericStore, component: String) async throws -> JSONValue? {
        guard object["status"] != status else { return nil }
        var context = context(component)
        context.subresource = "status"
        do {
            return try await store.guaranteedUpdate(namespace: object.metaNamespace, name: object.metaName, context: context) { current in
                guard var latest = current, latest.metaUID == object.metaUID else {
                    throw StatusError.notFound(store.definition.groupResource, object.metaName)
                }
                guard latest.metaResourceVersion == object.metaResourceVersion else {
                    throw StatusError.conflict(store.definition.groupResource, object.metaName, StatusError.optimisticLockMessage)
                }
                latest["status"] = status
                return latest
            }.0
        } catch where isExpected(error) {
            return nil
        }
    }

    /// An int-or-percent (maxSurge, maxUnavailable) of `total`, rounding up or down as upstream does, within
    /// 0...Int32.max whatever the stored value (so that sums of a few of them cannot overflow).
    static func scaled(_ value: JSONValue?, of total: Int, roundUp: Bool, default fallback: Int) -> Int {
        let int32Max = Int(Int32.max)
        let result: Int
        if let percent = NumericValidation.percent(value) {
            // Both factors are within int32, so the product fits an Int.
            let product = min(max(total, 0), int32Max) * min(percent, int32Max)
            result = roundUp ? (product + 99) / 100 : product / 100
        } else if let s = value?.string {
            result = Int(s) ?? fallback
        } else {
            result = value?.goInt32 ?? fallback
        }
        return min(max(result, 0), int32Max)
    }
}

/// Per object that failed: how often in a row, when it may be tried again, and the version that failed. Delays are
/// 0.5 s doubling to 5 minutes (upstream's controllers use 5 ms doubling to 1000 s; a busy single host retries less
/// eagerly).
final class RetryBackoff: Sendable {
    private struct Entry {
        var failures: Int
        var retryAt: Double
        var resourceVersion: String
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let now: @Sendable () -> Double

    /// `now` is seconds on a monotonic clock (tests pass their own).
    init(now: @escaping @Sendable () -> Double = RetryBackoff.monotonicSeconds) {
        self.now = now
    }

    private static let epoch = ContinuousClock.now

    static func monotonicSeconds() -> Double {
        let elapsed = ContinuousClock.now - epoch
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// The seconds until `key` may be tried again, or nil when it may be now: nothing failed, its retry is due, or
    /// the object changed since it failed.
    func wait(_ key: String, resourceVersion: String) -> Double? {
        let current = now()
        return entries.withLock { entries -> Double? in
            guard let entry = entries[key], entry.resourceVersion == resourceVersion, entry.retryAt > current else { return nil }
            return entry.retryAt - current
        }
    }

    /// Records a failure of `key` at `resourceVersion`; the delay until its retry.
    @discardableResult
    func failed(_ key: String, resourceVersion: String = "") -> Double {
        let current = now()
        return entries.withLock { entries -> Double in
            let count = (entries[key]?.failures ?? 0) + 1
            let delay = min(0.5 * Double(1 << min(count - 1, 10)), 300)
            entries[key] = Entry(failures: count, retryAt: current + delay, resourceVersion: resourceVersion)
            return delay
        }
    }

    func succeeded(_ key: String) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }

    /// Forgets the objects a pass no longer lists (deleted ones), so the bookkeeping is only ever as large as the
    /// objects that exist and fail.
    func keep(only objects: [JSONValue]) {
        // Nothing on record (the usual case): no set of every listed key to build on each pass.
        guard entries.withLock({ !$0.isEmpty }) else { return }
        let live = Set(objects.map(Workloads.key))
        entries.withLock { entries in entries = entries.filter { live.contains($0.key) } }
    }

    /// The objects with a failure on record.
    var keys: Set<String> { entries.withLock { Set($0.keys) } }
}
