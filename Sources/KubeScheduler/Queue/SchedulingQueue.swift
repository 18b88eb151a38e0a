import ControllerRuntime
import Synchronization

/// upstream's PriorityQueue of pods waiting to be scheduled, in three parts:
/// - activeQ: ready to be tried, highest priority first, then first come first served;
/// - backoffQ: tried and failed recently, waiting out a backoff that doubles with each attempt (1 s to 10 s);
/// - unschedulablePods: no node fits; they stay until a cluster event that could change that (a node added, a
///   bound pod gone, …) or until they have waited `maxUnschedulableSeconds` (5 min), so nothing spins while the
///   cluster stays as it is, however many pods wait.
/// Every method is synchronous (informer handlers call it) except `pop`, which waits for a pod.
public final class SchedulingQueue: Sendable {
    public struct QueuedPod: Sendable {
        public var info: PodInfo
        /// Scheduling attempts so far (the backoff grows with them).
        public var attempts = 0
        /// When the pod last entered the queue or failed: backoff and the unschedulable timeout count from here.
        public var timestamp: Double
        /// The scheduling cycle the pod was last popped in.
        public var cycle = 0
        /// The plugins that rejected it last: events for other plugins leave it where it is.
        public var rejectedBy: Set<String> = []
        /// Its spec or labels changed while it was being tried.
        var updatedInFlight = false
    }

    private enum Place { case active, backoff, unschedulable, inFlight }

    private struct ActiveEntry: Comparable {
        var priority: Int64
        var sequence: Int
        var key: String
        static func < (a: ActiveEntry, b: ActiveEntry) -> Bool {
            a.priority != b.priority ? a.priority > b.priority : a.sequence < b.sequence
        }
    }

    private struct BackoffEntry: Comparable {
        var expiry: Double
        var sequence: Int
        var key: String
        static func < (a: BackoffEntry, b: BackoffEntry) -> Bool {
            a.expiry != b.expiry ? a.expiry < b.expiry : a.sequence < b.sequence
        }
    }

    private struct State {
        var pods: [String: (pod: QueuedPod, place: Place, sequence: Int)] = [:]
        var active = Heap<ActiveEntry>()
        var backoff = Heap<BackoffEntry>()
        var unschedulableCount = 0
        /// Unschedulable pods by the plugin that rejected them (or "" for none in particular), so that an event
        /// looks only at the pods it can help instead of every queued pod.
        var parked: [String: Set<String>] = [:]
        var activeCount = 0
        var backoffCount = 0
        var sequence = 0
        var schedulingCycle = 0
        /// The cycle in which the last move event came, in all and per plugin it concerns: a pod that was being
        /// tried then and is rejected by such a plugin goes to backoffQ, not unschedulablePods, as the event may
        /// have been the one it needed (bindings of other pods, say, do not matter to a pod no node's taints allow).
        var moveRequestCycle = -1
        var moveCycles: [String: Int] = [:]
        var waiter: (id: Int, continuation: CheckedContinuation<QueuedPod?, Never>)?
        var waiterID = 0
        var closed = false
        var lastLeftoverScan: Double
    }

    private let state: Mutex<State>
    private let clock: any RuntimeClock
    public let initialBackoff: Double
    public let maxBackoff: Double
    public let maxUnschedulableSeconds: Double

    public init(clock: any RuntimeClock, initialBackoff: Double = 1, maxBackoff: Double = 10, maxUnschedulableSeconds: Double = 300) {
        self.clock = clock
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxUnschedulableSeconds = maxUnschedulableSeconds
        state = Mutex(State(lastLeftoverScan: clock.now()))
    }

    /// upstream looks for pods parked too long every 30 s: a walk over all of them, so not every second.
    static let leftoverScanInterval: Double = 30

    // MARK: Pods appearing, changing, going

    /// A pending pod seen for the first time; a pod already queued is updated instead.
    public func add(_ info: PodInfo) {
        let now = clock.now()
        let resume = state.withLock { s -> (CheckedContinuation<QueuedPod?, Never>, QueuedPod)? in
            if s.pods[info.key] != nil {
                Self.update(&s, info, now: now, backoff: backoffDuration)
                return Self.handOff(&s)
            }
            Self.pushActive(&s, QueuedPod(info: info, timestamp: now))
            return Self.handOff(&s)
        }
        if let (continuation, pod) = resume { continuation.resume(returning: pod) }
    }

    /// A queued pod changed. A change to what it asks for (spec, labels, annotations) moves an unschedulable pod to
    /// be tried again; the scheduler's own status writes do not.
    public func update(_ info: PodInfo) {
        let now = clock.now()
        let resume = state.withLock { s -> (CheckedContinuation<QueuedPod?, Never>, QueuedPod)? in
            guard s.pods[info.key] != nil else {
                Self.pushActive(&s, QueuedPod(info: info, timestamp: now))
                return Self.handOff(&s)
            }
            Self.update(&s, info, now: now, backoff: backoffDuration)
            return Self.handOff(&s)
        }
        if let (continuation, pod) = resume { continuation.resume(returning: pod) }
    }

    private static func update(_ s: inout State, _ info: PodInfo, now: Double, backoff: (Int) -> Double) {
        guard var entry = s.pods[info.key] else { return }
        let changed = schedulingRelevant(entry.pod.info, info)
        entry.pod.info = info
        s.pods[info.key] = entry
        switch entry.place {
        case .unschedulable where changed:
            unpark(&s, entry.pod)
            move(&s, entry.pod, now: now, backoff: backoff)
        case .inFlight where changed:
            // Tried with the old spec: if that fails, the new one deserves a prompt retry.
            entry.pod.updatedInFlight = true
            s.pods[info.key] = entry
        default:
            break
        }
    }

    /// What a pod's scheduling depends on, without the status and bookkeeping the scheduler and kubelet write.
    private static func schedulingRelevant(_ old: PodInfo, _ new: PodInfo) -> Bool {
        old.uid != new.uid || old.object["spec"] != new.object["spec"]
            || old.object[path: ["metadata", "labels"]] != new.object[path: ["metadata", "labels"]]
            || old.object[path: ["metadata", "annotations"]] != new.object[path: ["metadata", "annotations"]]
    }

    /// The pod was deleted, bound, or is no longer this scheduler's.
    public func delete(key: String) {
        state.withLock { s in
            guard let entry = s.pods.removeValue(forKey: key) else { return }
            switch entry.place {
            case .active: s.activeCount -= 1
            case .backoff: s.backoffCount -= 1
            case .unschedulable: Self.unpark(&s, entry.pod)
            case .inFlight: break
            }
        }
    }

    // MARK: The scheduling loop's side

    /// The next pod to try, waiting for one; nil when the task is cancelled or the queue closed.
    public func pop() async -> QueuedPod? {
        let id = state.withLock { s -> Int in
            s.waiterID += 1
            return s.waiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<QueuedPod?, Never>) in
                let ready = state.withLock { s -> QueuedPod?? in
                    if s.closed || Task.isCancelled { return .some(nil) }
                    if let pod = Self.popActive(&s) { return .some(pod) }
                    s.waiter = (id, continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<QueuedPod?, Never>? in
                guard let w = s.waiter, w.id == id else { return nil }
                s.waiter = nil
                return w.continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    public func close() {
        let waiter = state.withLock { s -> CheckedContinuation<QueuedPod?, Never>? in
            s.closed = true
            defer { s.waiter = nil }
            return s.waiter?.continuation
        }
        waiter?.resume(returning: nil)
    }

    /// The pod was assumed onto a node: the queue lets go of it (a failed binding brings it back by `requeue`).
    public func done(key: String) {
        state.withLock { s in
            if s.pods[key]?.place == .inFlight { s.pods[key] = nil }
        }
    }

    /// No node fits: to unschedulablePods, or to backoffQ when a move event came while it was being tried.
    public func addUnschedulable(key: String, rejectedBy: Set<String>) {
        let now = clock.now()
        state.withLock { s in
            guard var entry = s.pods[key], entry.place == .inFlight else { return }
            entry.pod.rejectedBy = rejectedBy
            entry.pod.timestamp = now
            let cycle = entry.pod.cycle
            let eventSince = rejectedBy.isEmpty ? s.moveRequestCycle >= cycle
                : rejectedBy.contains { (s.moveCycles[$0] ?? -1) >= cycle }
            if eventSince || entry.pod.updatedInFlight {
                s.pods[key] = entry
                Self.pushBackoff(&s, entry.pod, now: now, backoff: backoffDuration)
            } else {
                entry.place = .unschedulable
                s.pods[key] = entry
                Self.park(&s, entry.pod)
            }
        }
    }

    /// An error that is not about the pod fitting (the API refused the binding, …): try again after the backoff.
    public func requeue(_ pod: QueuedPod) {
        let now = clock.now()
        state.withLock { s in
            if let entry = s.pods[pod.info.key], entry.place != .inFlight { return }
            var retry = s.pods[pod.info.key]?.pod ?? pod
            retry.timestamp = now
            Self.pushBackoff(&s, retry, now: now, backoff: backoffDuration)
        }
    }

    // MARK: Events and timers

    /// Moves the unschedulable pods `event` concerns to be tried again (to backoffQ while their backoff lasts).
    /// Returns how many moved.
    @discardableResult
    public func moveAll(_ event: ClusterEvent) -> Int {
        let now = clock.now()
        let (moved, resume) = state.withLock { s -> (Int, (CheckedContinuation<QueuedPod?, Never>, QueuedPod)?) in
            s.moveRequestCycle = s.schedulingCycle
            for plugin in event.plugins { s.moveCycles[plugin] = s.schedulingCycle }
            guard s.unschedulableCount > 0 else { return (0, nil) }
            var keys = s.parked[""] ?? []
            for plugin in event.plugins { keys.formUnion(s.parked[plugin] ?? []) }
            for key in keys {
                guard let entry = s.pods[key], entry.place == .unschedulable else { continue }
                Self.unpark(&s, entry.pod)
                Self.move(&s, entry.pod, now: now, backoff: backoffDuration)
            }
            return (keys.count, Self.handOff(&s))
        }
        if let (continuation, pod) = resume { continuation.resume(returning: pod) }
        return moved
    }

    /// Backed-off pods whose time has come go to activeQ; pods unschedulable for longer than the limit are tried
    /// again whatever rejected them (looked for every 30 s). The scheduler calls this once a second.
    public func flush() {
        let now = clock.now()
        let resume = state.withLock { s -> (CheckedContinuation<QueuedPod?, Never>, QueuedPod)? in
            while let top = s.backoff.top, top.expiry <= now {
                _ = s.backoff.pop()
                guard let entry = s.pods[top.key], entry.place == .backoff, entry.sequence == top.sequence else { continue }
                s.backoffCount -= 1
                Self.pushActive(&s, entry.pod)
            }
            if s.unschedulableCount > 0, now - s.lastLeftoverScan >= Self.leftoverScanInterval {
                s.lastLeftoverScan = now
                let stale = s.pods.compactMap { $0.value.place == .unschedulable && now - $0.value.pod.timestamp >= maxUnschedulableSeconds ? $0.key : nil }
                for key in stale {
                    guard let entry = s.pods[key] else { continue }
                    Self.unpark(&s, entry.pod)
                    Self.move(&s, entry.pod, now: now, backoff: backoffDuration)
                }
            }
            return Self.handOff(&s)
        }
        if let (continuation, pod) = resume { continuation.resume(returning: pod) }
    }

    /// upstream's calculateBackoffDuration: initial, doubled per attempt after the first, at most the maximum.
    public func backoffDuration(attempts: Int) -> Double {
        var duration = initialBackoff
        for _ in 1..<max(attempts, 1) {
            duration *= 2
            if duration >= maxBackoff { return maxBackoff }
        }
        return min(duration, maxBackoff)
    }

    public struct Counts: Sendable, Equatable {
        public var active: Int
        public var backoff: Int
        public var unschedulable: Int
    }

    public var counts: Counts {
        state.withLock { Counts(active: $0.activeCount, backoff: $0.backoffCount, unschedulable: $0.unschedulableCount) }
    }

    /// Where the pod is: "active", "backoff", "unschedulable", "inFlight", or nil.
    public func placeOf(_ key: String) -> String? {
        state.withLock { s in
            switch s.pods[key]?.place {
            case .active?: return "active"
            case .backoff?: return "backoff"
            case .unschedulable?: return "unschedulable"
            case .inFlight?: return "inFlight"
            case nil: return nil
            }
        }
    }

    // MARK: Internals (under the lock)

    private static func move(_ s: inout State, _ pod: QueuedPod, now: Double, backoff: (Int) -> Double) {
        if pod.attempts > 0, pod.timestamp + backoff(pod.attempts) > now {
            pushBackoff(&s, pod, now: now, backoff: backoff)
        } else {
            pushActive(&s, pod)
        }
    }

    private static func park(_ s: inout State, _ pod: QueuedPod) {
        s.unschedulableCount += 1
        for plugin in pod.rejectedBy.isEmpty ? [""] : Array(pod.rejectedBy) { s.parked[plugin, default: []].insert(pod.info.key) }
    }

    private static func unpark(_ s: inout State, _ pod: QueuedPod) {
        s.unschedulableCount -= 1
        for plugin in pod.rejectedBy.isEmpty ? [""] : Array(pod.rejectedBy) { s.parked[plugin]?.remove(pod.info.key) }
    }

    private static func pushActive(_ s: inout State, _ pod: QueuedPod) {
        s.sequence += 1
        s.pods[pod.info.key] = (pod, .active, s.sequence)
        s.activeCount += 1
        s.active.push(ActiveEntry(priority: pod.info.priority, sequence: s.sequence, key: pod.info.key))
    }

    private static func pushBackoff(_ s: inout State, _ pod: QueuedPod, now: Double, backoff: (Int) -> Double) {
        s.sequence += 1
        s.pods[pod.info.key] = (pod, .backoff, s.sequence)
        s.backoffCount += 1
        s.backoff.push(BackoffEntry(expiry: pod.timestamp + backoff(pod.attempts), sequence: s.sequence, key: pod.info.key))
    }

    private static func popActive(_ s: inout State) -> QueuedPod? {
        while let top = s.active.pop() {
            guard var entry = s.pods[top.key], entry.place == .active, entry.sequence == top.sequence else { continue }
            s.activeCount -= 1
            s.schedulingCycle += 1
            entry.pod.attempts += 1
            entry.pod.cycle = s.schedulingCycle
            entry.pod.updatedInFlight = false
            entry.place = .inFlight
            s.pods[top.key] = entry
            return entry.pod
        }
        return nil
    }

    /// A waiting `pop` gets the next active pod at once.
    private static func handOff(_ s: inout State) -> (CheckedContinuation<QueuedPod?, Never>, QueuedPod)? {
        guard let waiter = s.waiter, let pod = popActive(&s) else { return nil }
        s.waiter = nil
        return (waiter.continuation, pod)
    }
}
