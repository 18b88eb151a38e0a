import Synchronization

/// What `/healthz` on the healthz port reports (upstream's ProxierHealthServer): unhealthy when a change has been
/// waiting for longer than `timeout` (twice the sync period) without a sync applying it.
public final class ProxyHealth: Sendable {
    private struct State {
        var lastUpdated: Double?
        var oldestPending: Double?
        var restoreFailures = 0
    }

    private let state = Mutex(State())
    public let timeout: Double

    public init(timeout: Double) { self.timeout = timeout }

    /// A change arrived that the next sync must apply.
    public func queued(at now: Double) {
        state.withLock { s in if s.oldestPending == nil { s.oldestPending = now } }
    }

    /// A sync applied everything queued before it started.
    public func updated(at now: Double, startedAt: Double) {
        state.withLock { s in
            s.lastUpdated = now
            if let pending = s.oldestPending, pending <= startedAt { s.oldestPending = nil }
        }
    }

    /// An `iptables-restore` refused the rules (the metric kubeproxy_sync_proxy_rules_iptables_restore_failures_total).
    public func restoreFailed() { state.withLock { $0.restoreFailures += 1 } }

    /// For /metrics: when rules were last applied, and how many restores failed.
    public var counters: (lastSynced: Double?, restoreFailures: Int) {
        state.withLock { ($0.lastUpdated, $0.restoreFailures) }
    }

    public func status(at now: Double) -> (healthy: Bool, lastUpdated: Double?) {
        state.withLock { s in
            let healthy = s.oldestPending.map { now - $0 < timeout } ?? true
            return (healthy, healthy ? now : s.lastUpdated)
        }
    }
}
