import KubeAPI
import KubeClient
import KubeJSON
import Logging
import Synchronization

/// client-go's leader election on a coordination.k8s.io Lease: acquire when the lease is free or its holder has not
/// renewed it for `leaseDuration` (as observed locally, so clocks need not agree), renew every `retryPeriod`, and
/// give up leading when a renewal has not succeeded for `renewDeadline`.
public struct LeaderElectionConfig: Sendable {
    public var namespace: String
    public var name: String
    public var identity: String
    /// upstream's `--leader-elect-lease-duration`, `--leader-elect-renew-deadline`, `--leader-elect-retry-period`.
    public var leaseDuration: Double = 15
    public var renewDeadline: Double = 10
    public var retryPeriod: Double = 2
    /// Clear the holder on a clean stop so a successor need not wait out the lease (`--leader-elect-release-on-cancel`
    /// is what client-go calls ReleaseOnCancel; kube-scheduler and kube-controller-manager set it).
    public var releaseOnCancel = true

    public init(namespace: String = "kube-system", name: String, identity: String) {
        self.namespace = namespace
        self.name = name
        self.identity = identity
    }
}

public final class LeaderElector: Sendable {
    public let config: LeaderElectionConfig
    private let client: any KubernetesClient
    private let clock: any RuntimeClock
    private let logger: Logger

    private struct Observed {
        var record: JSONValue?
        var at: Double = 0
        var leading = false
        var lastRenew: Double = 0
    }

    private let observed = Mutex(Observed())

    public init(config: LeaderElectionConfig, client: any KubernetesClient, clock: any RuntimeClock = SystemClock(), logger: Logger) {
        self.config = config
        self.client = client
        self.clock = clock
        self.logger = logger
    }

    public var isLeader: Bool { observed.withLock { $0.leading } }

    /// For a health check: false when leading and the last renewal is older than the lease (a stuck elector).
    public var isHealthy: Bool {
        observed.withLock { o in !o.leading || clock.now() - o.lastRenew <= config.leaseDuration + 20 }
    }

    /// The holder as last seen.
    public var holder: String? { observed.withLock { $0.record?[path: ["spec", "holderIdentity"]]?.string } }

    /// Waits to acquire the lease, then runs `lead` while renewing. Returns when leadership is lost (the renewals
    /// failed past the deadline; `lead` is cancelled and awaited) or the calling task is cancelled. True when it
    /// returns because leadership was lost.
    @discardableResult
    public func run(lead: @escaping @Sendable () async -> Void) async -> Bool {
        logger.info("attempting to acquire leader lease \(config.namespace)/\(config.name)...")
        while !Task.isCancelled {
            if await tryAcquireOrRenew() { break }
            do { try await clock.sleep(for: jittered(config.retryPeriod)) } catch { return false }
        }
        guard !Task.isCancelled else { return false }
        logger.info("successfully acquired lease \(config.namespace)/\(config.name)")
        let lost = await withTaskGroup(of: Bool.self) { group -> Bool in
            group.addTask { await lead(); return false }
            group.addTask { [self] in await renewLoop() }
            let first = await group.next() ?? false
            group.cancelAll()
            await group.waitForAll()
            return first
        }
        observed.withLock { $0.leading = false }
        // The caller is usually cancelled by now (a signal): the release runs outside that cancellation, or its
        // request would be refused before it is sent.
        if !lost, config.releaseOnCancel { await Task.detached { await self.release() }.value }
        return lost
    }

    /// Renews every retry period; true when the renew deadline passed without success.
    private func renewLoop() async -> Bool {
        while !Task.isCancelled {
            do { try await clock.sleep(for: config.retryPeriod) } catch { return false }
            let started = clock.now()
            var renewed = false
            while !Task.isCancelled, clock.now() - started < config.renewDeadline {
                if await tryAcquireOrRenew() { renewed = true; break }
                do { try await clock.sleep(for: config.retryPeriod) } catch { return false }
            }
            if Task.isCancelled { return false }
            if !renewed {
                logger.error("failed to renew lease \(config.namespace)/\(config.name): timed out waiting for the condition")
                return true
            }
        }
        return false
    }

    private func jittered(_ seconds: Double) -> Double { seconds * (1 + Double.random(in: 0..<1.2)) }

    func tryAcquireOrRenew() async -> Bool {
        let now = clock.now()
        let nowText = clock.microTimestamp()
        let current: JSONValue
        do {
            current = try await client.get(.leases, namespace: config.namespace, name: config.name)
        } catch let error as APIError where error.isNotFound {
            let lease: JSONValue = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": .string(config.name), "namespace": .string(config.namespace)],
                "spec": ["holderIdentity": .string(config.identity), "leaseDurationSeconds": .int(Int64(saturating: config.leaseDuration)),
                         "acquireTime": .string(nowText), "renewTime": .string(nowText), "leaseTransitions": 0],
            ]
            do {
                let created = try await client.create(.leases, namespace: config.namespace, lease)
                observed.withLock { $0 = Observed(record: created, at: now, leading: true, lastRenew: now) }
                return true
            } catch {
                logger.info("error initially creating leader election record: \(error)")
                return false
            }
        } catch {
            logger.error("error retrieving resource lock \(config.namespace)/\(config.name): \(error)")
            return false
        }
        let spec = current["spec"] ?? .emptyObject
        let holder = spec["holderIdentity"]?.string ?? ""
        let (wasLeading, observedAt) = observed.withLock { o -> (Bool, Double) in
            if o.record?["spec"] != current["spec"] { o.record = current; o.at = now }
            return (o.leading, o.at)
        }
        let duration = spec["leaseDurationSeconds"]?.int.map(Double.init) ?? config.leaseDuration
        if !holder.isEmpty, holder != config.identity, observedAt + duration > now {
            if wasLeading { observed.withLock { $0.leading = false } }
            return false
        }
        var next = current
        let transitions = spec["leaseTransitions"]?.int ?? 0
        next[path: ["spec", "holderIdentity"]] = .string(config.identity)
        next[path: ["spec", "leaseDurationSeconds"]] = .int(Int64(saturating: config.leaseDuration))
        next[path: ["spec", "renewTime"]] = .string(nowText)
        if holder != config.identity {
            next[path: ["spec", "acquireTime"]] = .string(nowText)
            // client-go counts every change of holder, a released lease's empty holder included.
            next[path: ["spec", "leaseTransitions"]] = .int(transitions.addingSaturated(1))
        }
        do {
            let updated = try await client.update(.leases, next)
            observed.withLock { $0 = Observed(record: updated, at: now, leading: true, lastRenew: now) }
            return true
        } catch {
            logger.info("failed to update lease \(config.namespace)/\(config.name): \(error)")
            return false
        }
    }

    /// Gives the lease up: holder cleared, duration 1 s, so another candidate acquires at once.
    private func release() async {
        guard let record = observed.withLock({ $0.record }), record[path: ["spec", "holderIdentity"]]?.string == config.identity else { return }
        var next = record
        next[path: ["spec", "holderIdentity"]] = ""
        next[path: ["spec", "leaseDurationSeconds"]] = 1
        next[path: ["spec", "renewTime"]] = .string(clock.microTimestamp())
        do {
            _ = try await client.update(.leases, next)
            logger.info("released lease \(config.namespace)/\(config.name)")
        } catch {
            logger.warning("failed to release lease \(config.namespace)/\(config.name): \(error)")
        }
    }
}
