import KubeAPI

/// client-go's token-bucket rate limiter (`--kube-api-qps`, `--kube-api-burst`): `burst` requests at once, then
/// `qps` per second. A qps of zero or less means no limit.
public actor TokenBucket {
    private let qps: Double
    private let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    public init(qps: Double, burst: Int) {
        self.qps = qps
        self.burst = Double(max(burst, 1))
        tokens = Double(max(burst, 1))
        last = .now
    }

    /// Waits for a token. Waiters are served in arrival order because each reserves its token before sleeping.
    public func acquire() async {
        guard qps > 0 else { return }
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        tokens = min(burst, tokens + (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * qps)
        tokens -= 1
        guard tokens < 0 else { return }
        let wait = -tokens / qps
        try? await Task.sleep(for: .milliseconds(Int64(saturating: wait * 1000)))
    }
}
