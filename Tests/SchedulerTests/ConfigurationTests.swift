import ControllerRuntime
import KubeJSON
@testable import KubeScheduler
import Testing

/// `--config`: KubeSchedulerConfiguration v1, strictly.
@Suite struct ConfigurationTests {
    @Test func profilesWeightsAndBackoffAreRead() throws {
        let text = """
        apiVersion: kubescheduler.config.k8s.io/v1
        kind: KubeSchedulerConfiguration
        clientConnection:
          kubeconfig: /etc/kubernetes/scheduler.conf
          qps: 30
        leaderElection:
          leaderElect: false
          leaseDuration: 20s
        podInitialBackoffSeconds: 2
        podMaxBackoffSeconds: 20
        profiles:
        - schedulerName: default-scheduler
        - schedulerName: packer
          plugins:
            score:
              enabled:
              - name: NodeResourcesBalancedAllocation
                weight: 5
              disabled:
              - name: TaintToleration
          pluginConfig:
          - name: NodeResourcesFit
            args:
              scoringStrategy:
                type: MostAllocated
        """
        let config = try SchedulerConfiguration.parse(text, file: "/etc/kubernetes/scheduler-config.yaml")
        #expect(config.kubeconfig == "/etc/kubernetes/scheduler.conf" && config.qps == 30)
        #expect(config.leaderElect == false && config.leaseDuration == 20)
        #expect(config.podInitialBackoffSeconds == 2 && config.podMaxBackoffSeconds == 20)
        #expect(config.profiles.map(\.schedulerName) == ["default-scheduler", "packer"])
        let listers = PluginCatalog.Listers(claims: ObjectCache(), volumes: ObjectCache(), classes: ObjectCache())
        let packer = PluginCatalog.framework(for: config.profiles[1], listers: listers)
        #expect(packer.scorers.map { "\($0.plugin.name)=\($0.weight)" }
            == ["NodeAffinity=2", "NodeResourcesFit=1", "PodTopologySpread=2", "InterPodAffinity=2", "NodeResourcesBalancedAllocation=5"])
        let standard = PluginCatalog.framework(for: config.profiles[0], listers: listers)
        #expect(standard.scorers.map { "\($0.plugin.name)=\($0.weight)" }
            == ["TaintToleration=3", "NodeAffinity=2", "NodeResourcesFit=1", "PodTopologySpread=2", "InterPodAffinity=2",
                "NodeResourcesBalancedAllocation=1"])
        #expect(standard.preemption != nil && packer.preemption != nil)
        #expect(standard.filters.map(\.name) == ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
                                                 "NodeResourcesFit", "VolumeBinding", "PodTopologySpread",
                                                 "InterPodAffinity"])
    }

    @Test func anUnknownFieldNamesTheFileAndField() {
        let text = """
        apiVersion: kubescheduler.config.k8s.io/v1
        kind: KubeSchedulerConfiguration
        profiles:
        - schedulerName: default-scheduler
          plugins:
            score:
              enabeld:
              - name: NodeAffinity
        """
        #expect { try SchedulerConfiguration.parse(text, file: "/tmp/sched.yaml") } throws: { error in
            "\(error)" == "/tmp/sched.yaml:7:7: unknown field \"profiles[0].plugins.score.enabeld\""
        }
    }

    @Test func wrongKindsAndPluginsAreRefused() {
        #expect { try SchedulerConfiguration.parse("apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n", file: "c.yaml") }
            throws: { "\($0)".contains("c.yaml") && "\($0)".contains("kubescheduler.config.k8s.io/v1beta3") }
        let badPlugin = """
        apiVersion: kubescheduler.config.k8s.io/v1
        kind: KubeSchedulerConfiguration
        profiles:
        - plugins:
            filter:
              disabled:
              - name: NodeMagic
        """
        #expect { try SchedulerConfiguration.parse(badPlugin, file: "c.yaml") } throws: {
            "\($0)" == "c.yaml: profiles[0].plugins.filter.disabled[0].name: plugin \"NodeMagic\" does not exist"
        }
        let duplicate = """
        apiVersion: kubescheduler.config.k8s.io/v1
        kind: KubeSchedulerConfiguration
        profiles:
        - schedulerName: a
        - schedulerName: a
        """
        #expect { try SchedulerConfiguration.parse(duplicate, file: "c.yaml") } throws: { "\($0)".contains("profiles[1].schedulerName") }
    }

    @Test func masterURLs() throws {
        let plain = try #require(KubeSchedulerCommand.hostPort("https://10.0.0.1:6443"))
        #expect(plain.0 == "10.0.0.1" && plain.1 == 6443)
        let v6 = try #require(KubeSchedulerCommand.hostPort("https://[::1]:7443/"))
        #expect(v6.0 == "::1" && v6.1 == 7443)
        let noPort = try #require(KubeSchedulerCommand.hostPort("https://api.example"))
        #expect(noPort.0 == "api.example" && noPort.1 == 443)
        #expect(KubeSchedulerCommand.hostPort("https://h:notaport") == nil)
    }
}
