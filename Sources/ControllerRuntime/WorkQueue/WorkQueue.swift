import Synchronization

/// client-go's rate-limited work queue: keys, each queued at most once however often it is added; a key being
/// processed is not handed to a second worker, and an add meanwhile queues it again once `done` is called. Delayed
/// and rate-limited adds wait on the queue's clock.
public final class WorkQueue: Sendable {
    private struct State {
        var queue: [String] = []
        var head = 0
        var dirty: Set<String> = []
        var processing: Set<String> = []
        var waiters: [CheckedContinuation<String?, Never>] = []
        var shuttingDown = false
        var delayed: [String: Double] = [:]
    }

    public let name: String
    private let state = Mutex(State())
    private let clock: any RuntimeClock
    public let rateLimiter: any RateLimiter
    private let timers = Mutex<[Task<Void, Never>]>([])

    public init(name: String, clock: any RuntimeClock = SystemClock(), rateLimiter: (any RateLimiter)? = nil) {
        self.name = name
        self.clock = clock
        self.rateLimiter = rateLimiter ?? DefaultControllerRateLimiter(clock: clock)
    }

    public func add(_ key: String) {
        let waiter = state.withLock { s -> CheckedContinuation<String?, Never>? in
            guard !s.shuttingDown, !s.dirty.contains(key) else { return nil }
            s.dirty.insert(key)
            if s.processing.contains(key) { return nil }
            if !s.waiters.isEmpty {
                // Handed straight to a waiting worker: it is processing from now on.
                s.dirty.remove(key)
                s.processing.insert(key)
                return s.waiters.removeFirst()
            }
            s.queue.append(key)
            return nil
        }
        waiter?.resume(returning: key)
    }

    /// The next key, waiting for one; nil once the queue is shut down.
    public func get() async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let result = state.withLock { s -> String?? in
                if s.head < s.queue.count {
                    let key = s.queue[s.head]
                    s.head += 1
                    if s.head > 1024, s.head * 2 > s.queue.count {
                        s.queue.removeFirst(s.head)
                        s.head = 0
                    }
                    s.dirty.remove(key)
                    s.processing.insert(key)
                    return .some(key)
                }
                if s.shuttingDown { return .some(nil) }
                s.waiters.append(continuation)
                return .none
            }
            if let result { continuation.resume(returning: result) }
        }
    }

    /// Marks `key` processed; if it was added meanwhile it is queued again.
    public func done(_ key: String) {
        let waiter = state.withLock { s -> CheckedContinuation<String?, Never>? in
            s.processing.remove(key)
            guard s.dirty.contains(key) else { return nil }
            if !s.waiters.isEmpty {
                s.dirty.remove(key)
                s.processing.insert(key)
                return s.waiters.removeFirst()
            }
            s.queue.append(key)
            return nil
        }
        waiter?.resume(returning: key)
    }

    /// Adds `key` after `seconds` on the queue's clock (a sooner request for the same key wins).
    public func add(_ key: String, after seconds: Double) {
        guard seconds > 0 else { return add(key) }
        let now = clock.now()
        let schedule = state.withLock { s -> Bool in
            guard !s.shuttingDown else { return false }
            if let at = s.delayed[key], at <= now + seconds { return false }
            s.delayed[key] = now + seconds
            return true
        }
        guard schedule else { return }
        let clock = self.clock
        let task = Task { [weak self] in
            guard (try? await clock.sleep(for: seconds)) != nil, let self else { return }
            let due = self.state.withLock { s -> Bool in
                guard let at = s.delayed[key], at <= clock.now() else { return false }
                s.delayed[key] = nil
                return true
            }
            if due { self.add(key) }
        }
        timers.withLock { timers in
            timers.removeAll { $0.isCancelled }
            timers.append(task)
        }
    }

    /// Adds `key` after its rate limiter's delay (a failure: exponential per key, and an overall bucket).
    public func addRateLimited(_ key: String) {
        add(key, after: rateLimiter.when(key))
    }

    /// Clears `key`'s failure history (it succeeded).
    public func forget(_ key: String) { rateLimiter.forget(key) }

    public func numRequeues(_ key: String) -> Int { rateLimiter.numRequeues(key) }

    public var count: Int { state.withLock { $0.queue.count - $0.head } }

    public var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Ends the queue: waiting workers get nil, delayed adds are dropped.
    public func shutDown() {
        let waiters = state.withLock { s -> [CheckedContinuation<String?, Never>] in
            s.shuttingDown = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        for task in timers.withLock({ $0 }) { task.cancel() }
    }
}

extension WorkQueue {
    /// Runs `workers` loops taking keys and calling `sync`; a thrown error requeues the key with backoff, success
    /// forgets its failures. Returns when the queue shuts down (cancelling the caller shuts it down).
    public func run(workers: Int, sync: @escaping @Sendable (String) async throws -> Void,
                    onError: @escaping @Sendable (String, any Error) -> Void) async {
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, workers) {
                    group.addTask { [self] in
                        while let key = await get() {
                            do {
                                try await sync(key)
                                forget(key)
                            } catch {
                                onError(key, error)
                                addRateLimited(key)
                            }
                            done(key)
                        }
                    }
                }
            }
        } onCancel: {
            shutDown()
        }
    }
}
