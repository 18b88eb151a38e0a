import ControllerRuntime
import KubeAPI
import KubeJSON
import Synchronization

/// The job controller's own writes that its caches have not shown yet (upstream's finalizer expectations, and the
/// same for the Job's status). A sync counts finished pods from the Job's status and the pods' tracking finalizers
/// together: a Job read from before its last status write, or a pod still showing a finalizer the controller has
/// removed, would count a pod twice or not at all, so a Job waits until both caches have caught up (or a minute
/// has passed: a relist can skip a version, and a lost event must not stall the Job for good).
final class JobObservations: Sendable {
    private struct Entry {
        /// The resourceVersion of the controller's last status write, until the Job informer delivers it.
        var version: String?
        /// Pods whose finalizer removal the pod informer has not shown yet.
        var finalizers: Set<String> = []
        /// The versions the Job informer delivered lately: a write's event can come before the write returns.
        var recent: [String] = []
        var at: Double = 0
    }

    static let timeout: Double = 60
    private let entries = Mutex<[String: Entry]>([:])
    private let clock: any RuntimeClock

    init(clock: any RuntimeClock) { self.clock = clock }

    /// The Job informer delivered `job`.
    func observeJob(_ key: String, _ job: JSONValue) {
        let version = job.metaResourceVersion
        entries.withLock { e in
            var entry = e[key] ?? Entry()
            if entry.version == version { entry.version = nil }
            entry.recent.append(version)
            if entry.recent.count > 8 { entry.recent.removeFirst() }
            e[key] = entry
        }
    }

    /// The pod informer delivered `pod` of the Job `key` (deleted ones too: `gone`).
    func observePod(_ key: String, _ pod: JSONValue, gone: Bool = false) {
        guard gone || !pod.metaFinalizers.contains(JobController.trackingFinalizer) else { return }
        entries.withLock { e in _ = e[key]?.finalizers.remove(pod.metaUID) }
    }

    func wroteStatus(_ key: String, _ written: JSONValue) {
        let version = written.metaResourceVersion
        let now = clock.now()
        entries.withLock { e in
            var entry = e[key] ?? Entry()
            entry.version = entry.recent.contains(version) ? nil : version
            entry.at = now
            e[key] = entry
        }
    }

    /// Called before the write: its event may arrive before the write returns.
    func removingFinalizer(_ key: String, uid: String) {
        let now = clock.now()
        entries.withLock { e in
            var entry = e[key] ?? Entry()
            entry.finalizers.insert(uid)
            entry.at = now
            e[key] = entry
        }
    }

    /// The removal did not happen (or had nothing to remove): no event will say so.
    func removalAbandoned(_ key: String, uid: String) {
        entries.withLock { e in _ = e[key]?.finalizers.remove(uid) }
    }

    /// nil when the caches show every write of this controller to the Job and its pods; else the seconds until
    /// the wait is given up.
    func pending(_ key: String) -> Double? {
        let now = clock.now()
        return entries.withLock { e -> Double? in
            guard var entry = e[key], entry.version != nil || !entry.finalizers.isEmpty else { return nil }
            let left = entry.at + Self.timeout - now
            guard left > 0 else {
                entry.version = nil
                entry.finalizers = []
                e[key] = entry
                return nil
            }
            return left
        }
    }

    func forget(_ key: String) { _ = entries.withLock { $0.removeValue(forKey: key) } }
}
