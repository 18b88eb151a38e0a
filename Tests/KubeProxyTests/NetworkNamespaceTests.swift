import ControllerRuntime
import Foundation
import KubeClient
import KubeJSON
@testable import KubeProxy
import KubestrapTesting
import Logging
import Testing

/// Runs every iptables call inside one network namespace, so the rules are real but the host's stay untouched.
struct NamespacedExecutor: IPTablesExecutor {
    let namespace: String
    func run(_ program: String, _ arguments: [String], input: String?) async -> CommandResult {
        await ProcessExecutor().run("ip", ["netns", "exec", namespace, program] + arguments, input: input)
    }
}

enum NetnsSupport {
    static let available: Bool = geteuid() == 0
        && ["ip", "iptables-restore", "iptables-save", "busybox", "curl"].allSatisfy { ProcessExecutor.locate($0) != nil }
}

/// The proxier's rules applied for real in a network namespace: a Service's cluster IP and node port reach a
/// busybox httpd listening on an address of the namespace, and `--cleanup` removes every chain again.
@Suite(.serialized, .enabled(if: NetnsSupport.available, "needs root, ip, iptables-restore, busybox and curl"))
struct NetworkNamespaceTests {
    @Test func clusterIPAndNodePortReachTheEndpoint() async throws {
        let ns = "kubestrap-kp-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        let host = ProcessExecutor()
        func inNS(_ args: String...) async throws {
            let result = await host.run("ip", ["-n", ns] + args, input: nil)
            guard result.status == 0 else { throw TetherError("ip -n \(ns) \(args.joined(separator: " ")): \(result.output)") }
        }
        let added = await host.run("ip", ["netns", "add", ns], input: nil)
        try #require(added.status == 0, "ip netns add: \(added.output)")
        var httpd: TetheredProcess?
        let docroot = FileManager.default.temporaryDirectory.appendingPathComponent("kube-proxy-test-\(ns)").path
        defer {
            httpd?.killAndWait()
            _ = ProcessExecutor.runBlocking("ip", ["netns", "delete", ns], input: nil)
            try? FileManager.default.removeItem(atPath: docroot)
        }
        try await inNS("link", "set", "lo", "up")
        // A veth pair with both ends inside: an interface with a pod-like address (no dummy module here).
        try await inNS("link", "add", "pod0", "type", "veth", "peer", "name", "pod1")
        try await inNS("addr", "add", "10.250.0.2/24", "dev", "pod0")
        try await inNS("link", "set", "pod1", "up")
        try await inNS("link", "set", "pod0", "up")
        // A route for the cluster IPs, so a connect() to one gets as far as the nat OUTPUT chain.
        try await inNS("route", "add", "default", "dev", "pod0")
        try FileManager.default.createDirectory(atPath: docroot, withIntermediateDirectories: true)
        try "hello from the endpoint\n".write(toFile: docroot + "/index.html", atomically: true, encoding: .utf8)
        let ip = try #require(ProcessExecutor.locate("ip"))
        httpd = try TetheredProcess(executable: ip, arguments: ["netns", "exec", ns, "busybox", "httpd", "-f", "-p", "10.250.0.2:8080", "-h", docroot])

        let fake = FakeClient([
            (.services, Fixtures.service("default", "web", clusterIP: "10.96.55.55", type: "NodePort", ports: [("http", 80, 30080, "TCP")])),
            (.endpointSlices, Fixtures.slice("default", "web", endpoints: Fixtures.ready("10.250.0.2"), ports: [("http", 8080, "TCP")])),
        ])
        let logger = Logger(label: "test.kube-proxy.netns")
        let informers = InformerFactory(client: fake, logger: logger)
        let executor = NamespacedExecutor(namespace: ns)
        let proxier = Proxier(informers: informers, executor: executor,
                              settings: .init(rules: .init(clusterCIDR: "10.250.0.0/16"), minSyncPeriod: 0, syncPeriod: 3600), logger: logger)
        let task = Task { await proxier.run() }
        defer { task.cancel() }

        func fetch(_ url: String) async -> String {
            await host.run("ip", ["netns", "exec", ns, "curl", "-s", "-m", "3", url], input: nil).output
        }
        func eventually(_ what: String, _ condition: () async -> Bool) async {
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if await condition() { return }
                try? await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("timed out waiting for \(what)")
        }
        await eventually("the cluster IP to answer") { await fetch("http://10.96.55.55/") == "hello from the endpoint\n" }
        await eventually("the node port to answer") { await fetch("http://10.250.0.2:30080/") == "hello from the endpoint\n" }
        let saved = await executor.run("iptables-save", ["-t", "nat"], input: nil).output
        #expect(saved.contains("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"))
        #expect(saved.contains("-j DNAT --to-destination 10.250.0.2:8080"))

        // The Service goes: its chains go with it, and the cluster IP is no longer rewritten.
        try await fake.delete(.services, namespace: "default", name: "web", options: .init())
        await eventually("the Service's chains to be deleted") {
            !(await executor.run("iptables-save", ["-t", "nat"], input: nil).output.contains("KUBE-SVC-"))
        }
        task.cancel()
        await task.value
        await informers.shutdown()

        #expect(await Cleanup.run(executor: executor, logger: logger))
        let afterNat = await executor.run("iptables-save", ["-t", "nat"], input: nil).output
        let afterFilter = await executor.run("iptables-save", ["-t", "filter"], input: nil).output
        #expect(!afterNat.contains("KUBE-"), "\(afterNat)")
        #expect(!afterFilter.contains("KUBE-"), "\(afterFilter)")
    }
}
