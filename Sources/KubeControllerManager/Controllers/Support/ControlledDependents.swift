import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

extension Workloads {
    /// Handlers for the dependents of an owner kind that never adopts orphans (a Job's pods, a CronJob's Jobs, a
    /// StatefulSet's or DaemonSet's pods, as the in-process controllers behaved): a change is queued as its
    /// controlling owner's key when that owner is of `ownerKind`, and orphans wake nobody. Creations and deletions
    /// count against `expectations` as in `dependentHandler`; `observe` sees every change with its owner's key first.
    /// `orphan`, when given, is told of every change to an object without a controlling owner.
    static func controlledHandler(ownerKind: String, queue: WorkQueue, expectations: Expectations? = nil,
                                  observe: (@Sendable (String, JSONValue) -> Void)? = nil,
                                  orphan: (@Sendable (JSONValue) -> Void)? = nil) -> EventHandler {
        let ownerKey: @Sendable (JSONValue) -> String? = { object in
            guard let ref = controllerRef(object), ref["kind"]?.string == ownerKind, let name = ref["name"]?.string else { return nil }
            return ObjectCache.key(namespace: object.metaNamespace, name: name)
        }
        let enqueue: @Sendable (JSONValue) -> Void = { object in
            if let orphan, controllerRef(object) == nil { return orphan(object) }
            guard let key = ownerKey(object) else { return }
            observe?(key, object)
            queue.add(key)
        }
        return EventHandler(onAdd: { object in
            if let key = ownerKey(object) { expectations?.creationObserved(key) }
            enqueue(object)
        }, onUpdate: { old, new in
            // An owner reference that changed owners tells both.
            if controllerRef(old)?["uid"] != controllerRef(new)?["uid"] { enqueue(old) }
            // Marked for deletion counts as deleted for the owner's expectations (upstream does the same).
            if old.metaDeletionTimestamp == nil, new.metaDeletionTimestamp != nil, let key = ownerKey(new) {
                expectations?.deletionObserved(key)
            }
            enqueue(new)
        }, onDelete: { object in
            if object.metaDeletionTimestamp == nil, let key = ownerKey(object) { expectations?.deletionObserved(key) }
            enqueue(object)
        })
    }

    /// A sync's wish to run again in `seconds`, as a work-queue delay: at least 50 ms and at most a day (a deadline
    /// years away, from an int64 field, is still looked at daily), never NaN or infinite.
    static func wakeDelay(_ seconds: Double) -> Double {
        guard seconds.isFinite else { return seconds == .infinity ? 86_400 : 0.05 }
        return min(max(seconds, 0.05), 86_400)
    }

    /// Seconds since 1970 of an RFC 3339 timestamp from an object; nil when absent or malformed.
    static func seconds(_ text: String?) -> Double? {
        text.flatMap { RFC3339.parse($0)?.timeIntervalSince1970 }
    }

    /// A pod (or claim) delete that only removes the object seen, not a successor of the same name.
    static func deleteOptions(_ object: JSONValue, propagation: String? = nil) -> DeleteOptions {
        DeleteOptions(propagationPolicy: propagation, preconditionUID: object.metaUID)
    }

    /// The message of an error as an event shows it (the API's own words when it is an API error).
    static func message(_ error: any Error) -> String {
        (error as? APIError)?.message ?? "\(error)"
    }
}
