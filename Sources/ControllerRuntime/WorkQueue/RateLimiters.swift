import Synchronization

/// How long a failed key waits before its retry (client-go's workqueue.RateLimiter).
public protocol RateLimiter: Sendable {
    func when(_ key: String) -> Double
    func forget(_ key: String)
    func numRequeues(_ key: String) -> Int
}

/// base × 2^failures per key, capped (client-go's ItemExponentialFailureRateLimiter).
public final class ItemExponentialRateLimiter: RateLimiter {
    private let failures = Mutex<[String: Int]>([:])
    private let base: Double
    private let cap: Double

    public init(base: Double = 0.005, cap: Double = 1000) {
        self.base = base
        self.cap = cap
    }

    public func when(_ key: String) -> Double {
        let count = failures.withLock { f -> Int in
            let n = f[key, default: 0]
            f[key] = n + 1
            return n
        }
        let delay = base * Double(1 << min(count, 40))
        return delay.isFinite ? min(delay, cap) : cap
    }

    public func forget(_ key: String) { _ = failures.withLock { $0.removeValue(forKey: key) } }
    public func numRequeues(_ key: String) -> Int { failures.withLock { $0[key, default: 0] } }
}

/// An overall token bucket over every key (client-go's BucketRateLimiter: 10 per second, burst 100).
public final class BucketRateLimiter: RateLimiter {
    private struct State {
        var tokens: Double
        var last: Double
    }

    private let state: Mutex<State>
    private let qps: Double
    private let burst: Double
    private let clock: any RuntimeClock

    public init(qps: Double = 10, burst: Int = 100, clock: any RuntimeClock) {
        self.qps = qps
        self.burst = Double(burst)
        self.clock = clock
        state = Mutex(State(tokens: Double(burst), last: clock.now()))
    }

    public func when(_ key: String) -> Double {
        let now = clock.now()
        return state.withLock { s in
            s.tokens = min(burst, s.tokens + max(0, now - s.last) * qps)
            s.last = now
            s.tokens -= 1
            return s.tokens >= 0 ? 0 : -s.tokens / qps
        }
    }

    public func forget(_ key: String) {}
    public func numRequeues(_ key: String) -> Int { 0 }
}

/// The larger delay of its limiters (client-go's DefaultControllerRateLimiter: 5 ms doubling to 1000 s per key,
/// and 10 qps with a burst of 100 over all keys).
public final class DefaultControllerRateLimiter: RateLimiter {
    private let limiters: [any RateLimiter]

    public init(clock: any RuntimeClock, limiters: [any RateLimiter]? = nil) {
        self.limiters = limiters ?? [ItemExponentialRateLimiter(), BucketRateLimiter(clock: clock)]
    }

    public func when(_ key: String) -> Double { limiters.map { $0.when(key) }.max() ?? 0 }
    public func forget(_ key: String) { for l in limiters { l.forget(key) } }
    public func numRequeues(_ key: String) -> Int { limiters.map { $0.numRequeues(key) }.max() ?? 0 }
}
