import ControllerRuntime
import KubeClient
import KubeJSON
import Logging
import Testing

/// ControllerRuntime's LeaderElector as kube-scheduler uses it: a clean stop hands the lease over at once.
@Suite struct LeaseReleaseTests {
    @Test func aStoppedLeaderReleasesTheLeaseThoughItsTaskIsCancelled() async throws {
        let client = BindingClient(FakeClient(), refusesWhenCancelled: true)
        var logger = Logger(label: "lease-test")
        logger.logLevel = .critical
        let elector = LeaderElector(config: LeaderElectionConfig(name: "kube-scheduler", identity: "host_a"), client: client,
                                    clock: FakeClock(), logger: logger)
        let leading = Task { await elector.run { try? await Task.sleep(for: .seconds(3600)) } }
        func holder() -> String? {
            client.fake.objects(.leases, namespace: "kube-system").first?[path: ["spec", "holderIdentity"]]?.string
        }
        try await eventually("leading") { holder() == "host_a" && elector.isLeader }
        leading.cancel()
        #expect(await leading.value == false, "stopped, not lost")
        #expect(holder() == "", "released: a successor need not wait out the lease")
    }
}
