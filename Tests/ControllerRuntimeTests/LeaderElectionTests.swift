import ControllerRuntime
import KubeClient
import KubeJSON
import Synchronization
import Testing

@Suite struct LeaderElectionTests {
    final class Flag: Sendable {
        let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    @Test func onlyOneCandidateLeadsAndASuccessorWaitsOutTheLease() async throws {
        let fake = FakeClient()
        let clock = FakeClock()
        // a dies without releasing the lease (releaseOnCancel off: as a crash leaves it).
        var crashing = LeaderElectionConfig(name: "kube-controller-manager", identity: "a")
        crashing.releaseOnCancel = false
        let first = LeaderElector(config: crashing, client: fake, clock: clock, logger: quietLogger)
        let second = LeaderElector(config: LeaderElectionConfig(name: "kube-controller-manager", identity: "b"), client: fake, clock: clock, logger: quietLogger)
        let firstLeads = Flag(), secondLeads = Flag()
        let a = Task { await first.run { firstLeads.set(); try? await clock.sleep(for: 1_000_000) } }
        try await eventually { firstLeads.isSet }
        let lease = try await fake.get(.leases, namespace: "kube-system", name: "kube-controller-manager")
        #expect(lease[path: ["spec", "holderIdentity"]] == "a")
        #expect(lease[path: ["spec", "leaseDurationSeconds"]] == 15)
        let b = Task { await second.run { secondLeads.set(); try? await clock.sleep(for: 1_000_000) } }
        // b tries every retry period while a renews: it never leads.
        for _ in 0..<10 {
            try await eventually { clock.sleepers >= 2 }
            clock.advance(by: 2)
        }
        #expect(!secondLeads.isSet)
        // a stops without releasing (a crash): b takes over once the lease has not moved for 15 s.
        a.cancel()
        await a.value
        #expect(!secondLeads.isSet)
        for _ in 0..<20 where !secondLeads.isSet {
            try await eventually { clock.sleepers >= 1 }
            clock.advance(by: 2)
            try await Task.sleep(nanoseconds: 1_000_000)
        }
        try await eventually { secondLeads.isSet }
        let taken = try await fake.get(.leases, namespace: "kube-system", name: "kube-controller-manager")
        #expect(taken[path: ["spec", "holderIdentity"]] == "b")
        #expect(taken[path: ["spec", "leaseTransitions"]] == 1)
        b.cancel()
        await b.value
    }
}
