@testable import KubeCommand
@testable import KubeProxy
import Testing

@Suite struct ConfigurationTests {
    let file = """
        apiVersion: kubeproxy.config.k8s.io/v1alpha1
        kind: KubeProxyConfiguration
        bindAddress: 0.0.0.0
        clientConnection:
          kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
        clusterCIDR: 10.244.0.0/16
        healthzBindAddress: 0.0.0.0:10256
        metricsBindAddress: 127.0.0.1:10249
        mode: iptables
        iptables:
          minSyncPeriod: 2s
          syncPeriod: 45s
        winkernel:
          enableDSR: false

        """

    func parse(_ args: [String]) throws -> ParsedFlags {
        try CommandRunner(root: KubeProxyCommand.make(version: "v0")).resolve(args).flags
    }

    @Test func fileThenFlags() throws {
        let (config, unknown) = try KubeProxyConfiguration.parse(file, file: "config.conf")
        #expect(unknown == ["winkernel"])
        let fromFile = try KubeProxyCommand.options(flags: try parse([]), file: config)
        #expect(fromFile.kubeconfig == "/var/lib/kube-proxy/kubeconfig.conf")
        #expect(fromFile.clusterCIDR == "10.244.0.0/16")
        #expect(fromFile.minSyncPeriod == 2)
        #expect(fromFile.syncPeriod == 45)
        let overridden = try KubeProxyCommand.options(flags: try parse(["--cluster-cidr=10.10.0.0/16", "--hostname-override=node-a",
                                                                        "--iptables-sync-period=10s"]), file: config)
        #expect(overridden.clusterCIDR == "10.10.0.0/16")
        #expect(overridden.hostnameOverride == "node-a")
        #expect(overridden.syncPeriod == 10)
        #expect(KubeProxyCommand.nodeName("Node-A") == "node-a")
    }

    @Test func zeroValuesInTheFileMeanDefaults() throws {
        let kubeadmStyle = """
            apiVersion: kubeproxy.config.k8s.io/v1alpha1
            kind: KubeProxyConfiguration
            clientConnection:
              kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
              qps: 0
              burst: 0
            healthzBindAddress: ""
            metricsBindAddress: ""
            mode: ""
            iptables:
              masqueradeBit: null
              minSyncPeriod: 0s
              syncPeriod: 0s

            """
        let (config, unknown) = try KubeProxyConfiguration.parse(kubeadmStyle, file: "config.conf")
        #expect(unknown.isEmpty)
        let o = try KubeProxyCommand.options(flags: try parse([]), file: config)
        #expect(o.qps == 5 && o.burst == 10 && o.minSyncPeriod == 1 && o.syncPeriod == 30 && o.masqueradeBit == 14)
        #expect(o.healthzBindAddress == "0.0.0.0:10256" && o.metricsBindAddress == "127.0.0.1:10249" && o.mode == "iptables")
    }

    @Test func badValuesNameTheirField() throws {
        #expect(throws: KubeProxyConfigError.self) { try KubeProxyConfiguration.parse("apiVersion: v1\nkind: Pod\n", file: "x") }
        do {
            _ = try KubeProxyCommand.options(flags: try parse(["--proxy-mode=ipvs", "--iptables-masquerade-bit=40", "--cluster-cidr=10.0.0.0/33"]), file: nil)
            Issue.record("accepted bad values")
        } catch let error as KubeProxyConfigError {
            #expect(error.description.contains("mode: Invalid value: \"ipvs\""))
            #expect(error.description.contains("iptables.masqueradeBit: Invalid value: 40"))
            #expect(error.description.contains("clusterCIDR: Invalid value: \"10.0.0.0/33\""))
        }
        #expect(KubeProxyCommand.ipv4ClusterCIDR("fd00::/48,10.244.0.0/16") == "10.244.0.0/16")
        #expect(KubeProxyCommand.hostPort("[::]:10256")?.1 == 10256)
        #expect(KubeProxyCommand.hostPort("10256") == nil)
    }
}
