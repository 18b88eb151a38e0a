import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeProxy
import Logging
import Testing

@Suite struct ProxierTests {
    /// Polls `condition` until it holds or a generous deadline passes: 120 s, as the other suites, because under two
    /// CPU hogs beside the whole suite 30 s did not hold.
    func eventually(_ what: String, _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(what)")
    }

    func makeProxier(_ fake: FakeClient, _ executor: RecordingExecutor, syncPeriod: Double = 3600) -> (Proxier, InformerFactory) {
        let logger = Logger(label: "test.kube-proxy")
        let informers = InformerFactory(client: fake, logger: logger)
        let proxier = Proxier(informers: informers, executor: executor,
                              settings: .init(rules: .init(clusterCIDR: "10.244.0.0/16"), minSyncPeriod: 0, syncPeriod: syncPeriod), logger: logger)
        return (proxier, informers)
    }

    @Test func changesAreSyncedWithOneRestoreEach() async throws {
        let fake = FakeClient([
            (.services, Fixtures.service("default", "web", clusterIP: "10.96.0.20", ports: [("", 80, nil, "TCP")])),
        ])
        let executor = RecordingExecutor()
        let (proxier, informers) = makeProxier(fake, executor)
        let task = Task { await proxier.run() }
        try await eventually("the first sync") { await proxier.successfulSyncs >= 1 }
        #expect(executor.restores.last?.contains("\"default/web has no endpoints\"") == true)
        let restoreCall = try #require(executor.calls.first { $0.program == "iptables-restore" })
        #expect(restoreCall.arguments == ["-w", "5", "-W", "100000", "--noflush", "--counters"])
        // The jumps from the built-in chains are checked, and inserted when missing (the recorder says every -C passes).
        #expect(executor.calls.contains { $0.program == "iptables" && $0.arguments.suffix(8) == ["-C", "PREROUTING", "-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"] })

        _ = try fake.insert(.endpointSlices, Fixtures.slice("default", "web", endpoints: Fixtures.ready("10.244.0.5"), ports: [("", 8080, "TCP")]))
        try await eventually("a sync with the endpoint") {
            executor.restores.last?.contains("-j DNAT --to-destination 10.244.0.5:8080") == true
        }
        #expect(executor.restores.last?.contains("! -s 10.244.0.0/16 -j KUBE-MARK-MASQ") == true)
        task.cancel()
        await task.value
        await informers.shutdown()
    }

    @Test func aRefusedRestoreIsRetriedAndReportedUnhealthy() async throws {
        let fake = FakeClient([(.services, Fixtures.service("default", "web", clusterIP: "10.96.0.20", ports: [("", 80, nil, "TCP")]))])
        let executor = RecordingExecutor()
        executor.setFailing(["iptables-restore"])
        let (proxier, informers) = makeProxier(fake, executor, syncPeriod: 0.3)
        let task = Task { await proxier.run() }
        try await eventually("two failed attempts") { executor.restores.count >= 2 }
        #expect(await proxier.successfulSyncs == 0)
        // A change queued long ago and never applied: /healthz says 503.
        let health = proxier.health
        #expect(health.status(at: SystemClock().now() + 2 * 0.3 + 1).healthy == false)
        executor.setFailing([])
        try await eventually("a successful retry") { await proxier.successfulSyncs >= 1 }
        #expect(health.status(at: SystemClock().now()).healthy)
        task.cancel()
        await task.value
        await informers.shutdown()
    }

    @Test func healthzAnswersAsUpstream() {
        let health = ProxyHealth(timeout: 60)
        let respond = ProxyServer.healthz(health, now: { 1_780_000_000.5 })
        let ok = respond("/healthz")
        #expect(ok.status == .ok)
        #expect(ok.contentType == "application/json")
        #expect(ok.body == "{\"lastUpdated\": \"2026-05-28 20:26:40.5 +0000 UTC\",\"currentTime\": \"2026-05-28 20:26:40.5 +0000 UTC\", \"nodeEligible\": true}")
        health.queued(at: 1_780_000_000.5 - 61)
        #expect(respond("/livez").status == .serviceUnavailable)
        #expect(respond("/metrics").status == .notFound)

        let metrics = ProxyServer.metrics(health)
        #expect(!metrics("/metrics").body.contains("last_timestamp"), "no sync yet")
        health.restoreFailed()
        health.updated(at: 1_780_000_100, startedAt: 1_780_000_099)
        let body = metrics("/metrics").body
        #expect(body.contains("\nkubeproxy_sync_proxy_rules_iptables_restore_failures_total 1\n"))
        #expect(body.contains("\nkubeproxy_sync_proxy_rules_last_timestamp_seconds 1780000100.0\n"))
        #expect(metrics("/proxyMode").body == "iptables")
    }
}
