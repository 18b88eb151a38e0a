import ControllerRuntime
import KubeClient
import KubeJSON
import Logging

/// kube-proxy's iptables proxier: follows Services and EndpointSlices through shared informers and, after each change
/// (at most once per `minSyncPeriod`, and at least once per `syncPeriod`), writes the whole rule set with one
/// `iptables-restore --noflush` and keeps the jumps from the built-in chains in place.
public actor Proxier {
    public struct Settings: Sendable {
        public var rules: RulesWriter.Options
        /// Upstream's `iptables.minSyncPeriod` (1s): changes closer together than this share one sync.
        public var minSyncPeriod: Double = 1
        /// Upstream's `iptables.syncPeriod` (30s): a full resync even without changes, restoring rules someone removed.
        public var syncPeriod: Double = 30

        public init(rules: RulesWriter.Options = .init(), minSyncPeriod: Double = 1, syncPeriod: Double = 30) {
            self.rules = rules
            self.minSyncPeriod = minSyncPeriod
            self.syncPeriod = syncPeriod
        }
    }

    /// `-w 5 -W 100000`: wait up to 5 s for the xtables lock, polling every 100 ms, as upstream does.
    static let lockArguments = ["-w", "5", "-W", "100000"]

    let informers: InformerFactory
    let executor: any IPTablesExecutor
    let settings: Settings
    let logger: Logger
    let clock: any RuntimeClock
    public nonisolated let health: ProxyHealth
    private let requests = SyncRequests()
    private var lastSyncStart: Double?
    /// How many syncs applied their rules (tests wait on it).
    public private(set) var successfulSyncs = 0

    public init(informers: InformerFactory, executor: any IPTablesExecutor, settings: Settings, logger: Logger) {
        self.informers = informers
        self.executor = executor
        self.settings = settings
        self.logger = logger
        self.clock = informers.clock
        self.health = ProxyHealth(timeout: 2 * settings.syncPeriod)
    }

    /// Runs until cancelled: informers, the periodic resync, and the sync loop.
    public func run() async {
        let services = informers.informer(.services)
        let slices = informers.informer(.endpointSlices)
        let requests = self.requests, health = self.health, clock = self.clock
        let changed = EventHandler.any { _ in
            health.queued(at: clock.now())
            requests.request()
        }
        services.addEventHandler(changed)
        slices.addEventHandler(changed)
        informers.start()
        guard await informers.waitForCacheSync() else { return }
        logger.info("Caches are synced", metadata: ["controller": "service config", "endpointslice": "config"])
        let period = settings.syncPeriod
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while (try? await clock.sleep(for: period)) != nil { requests.request() }
            }
            group.addTask { await self.loop() }
            await group.next()
            group.cancelAll()
        }
    }

    private func loop() async {
        requests.request()
        while !Task.isCancelled {
            await requests.next()
            if Task.isCancelled { return }
            if let last = lastSyncStart {
                let wait = settings.minSyncPeriod - (clock.now() - last)
                if wait > 0, (try? await clock.sleep(for: wait)) == nil { return }
            }
            // A refused sync is tried again by the next change or the periodic resync (upstream retries after
            // syncPeriod too): a persistent failure must not spin.
            await syncProxyRules()
        }
    }

    /// One full sync from the informers' caches. False when iptables refused the rules (logged).
    @discardableResult
    public func syncProxyRules() async -> Bool {
        let start = clock.now()
        lastSyncStart = start
        let state = ProxyState.build(services: informers.informer(.services).cache.list(),
                                     slices: informers.informer(.endpointSlices).cache.list(), logger: logger)
        let existing = await existingChains(table: "nat")
        let writer = RulesWriter(options: settings.rules)
        let (text, _) = writer.restoreInput(state, existingNATChains: existing)
        let restore = await executor.run("iptables-restore", Self.lockArguments + ["--noflush", "--counters"], input: text)
        guard restore.status == 0 else {
            health.restoreFailed()
            logger.error("Failed to execute iptables-restore", metadata: ["err": "\(restore.output.trimmingSuffixNewlines)"])
            logger.debug("Rules that iptables-restore refused", metadata: ["rules": "\(text)"])
            return false
        }
        for jump in RulesWriter.jumps {
            let check = await executor.run("iptables", Self.lockArguments + ["-t", jump.table, "-C", jump.chain] + jump.ruleArguments, input: nil)
            guard check.status != 0 else { continue }
            let insert = await executor.run("iptables", Self.lockArguments + ["-t", jump.table, "-I", jump.chain] + jump.ruleArguments, input: nil)
            if insert.status != 0 {
                logger.error("Failed to ensure chain jumps", metadata: ["table": "\(jump.table)", "srcChain": "\(jump.chain)",
                                                                         "dstChain": "\(jump.target)", "err": "\(insert.output.trimmingSuffixNewlines)"])
                return false
            }
        }
        successfulSyncs += 1
        health.updated(at: clock.now(), startedAt: start)
        logger.debug("SyncProxyRules complete", metadata: ["elapsed": "\(clock.now() - start)s", "services": "\(state.services.count)"])
        return true
    }

    /// The chains of `table` as `iptables-save` lists them (`:NAME POLICY [p:b]`).
    private func existingChains(table: String) async -> Set<String> {
        let saved = await executor.run("iptables-save", ["-t", table], input: nil)
        guard saved.status == 0 else {
            logger.error("Failed to execute iptables-save", metadata: ["table": "\(table)", "err": "\(saved.output.trimmingSuffixNewlines)"])
            return []
        }
        return Set(saved.output.split(separator: "\n").compactMap { line in
            guard line.hasPrefix(":") else { return nil }
            return line.dropFirst().split(separator: " ").first.map(String.init)
        })
    }
}

extension String {
    var trimmingSuffixNewlines: String {
        var text = Substring(self)
        while text.last == "\n" { text = text.dropLast() }
        return String(text)
    }
}
