import CRIClient
import Foundation
import KubeJSON
import KubeAPI
import Testing
@testable import Kubelet

@Suite struct CRIRuntimeTests {
    func makePod(_ yaml: String, node: String = "n1") throws -> KubeletPod {
        try StaticPodParser.parse(path: "/etc/kubernetes/manifests/p.yaml", text: yaml, nodeName: node).0
    }

    func runtime(_ fake: FakeRuntimeService, relistPeriod: Duration = .seconds(1)) -> KubeGenericRuntime {
        KubeGenericRuntime(runtime: fake, images: ImageManager(images: fake, logger: testLogger), runtimeName: "fakeruntime",
                           runtimeVersion: "0.1", endpoint: "unix:///fake.sock", relistPeriod: relistPeriod)
    }

    func context(_ dir: borrowing TempDir, events: PodEventSink? = nil) throws -> RuntimeContext {
        var configuration = KubeletConfiguration()
        configuration.podLogsDir = "\(dir.path)/pods-logs"
        let settings = try KubeletSettings(configuration: configuration, rootDir: "\(dir.path)/root", nodeName: "n1")
        return RuntimeContext(settings: settings, checkpoints: CheckpointStore(rootDir: "\(dir.path)/root"), prober: Prober(),
                              logger: testLogger, hostname: "host", events: events,
                              volumes: VolumeManager(rootDir: "\(dir.path)/root", api: nil, logger: testLogger))
    }

    @Test func podRunsInASandboxWithItsConfiguration() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let pod = try makePod("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web}
            spec:
              hostname: front
              containers:
              - name: main
                image: busybox:1.36
                command: ["/bin/httpd"]
                args: ["-f", "-p", "$(PORT)"]
                env: [{name: PORT, value: "8080"}]
                ports: [{containerPort: 8080, hostPort: 18080}]
                resources: {limits: {memory: 32Mi, cpu: 500m}, requests: {cpu: 250m}}
            """)
        let worker = CRIPodWorker(pod: pod, context: try context(dir), cri: runtime(fake))
        await worker.start(adopting: nil)
        #expect(await eventually { await worker.statuses().first?.state.isRunning == true })
        let sandbox = try #require(await fake.sandboxes.values.first)
        #expect(sandbox.config.hostname == "front")
        #expect(sandbox.config.metadata.name == pod.name && sandbox.config.metadata.uid == pod.uid)
        #expect(sandbox.config.labels["io.kubernetes.pod.uid"] == pod.uid)
        #expect(sandbox.config.logDirectory.hasSuffix("/pods-logs/default_\(pod.name)_\(pod.uid)"))
        #expect(sandbox.config.portMappings.map(\.hostPort) == [18080])
        #expect(sandbox.config.linux.cgroupParent == "/kubepods/burstable/pod\(pod.uid)")
        let container = try #require(await fake.containers(named: "main").first)
        #expect(container.config.command == ["/bin/httpd"])
        #expect(container.config.args == ["-f", "-p", "8080"])
        #expect(container.config.logPath == "main/0.log")
        #expect(container.config.linux.resources.memoryLimitInBytes == 32 << 20)
        #expect(container.config.linux.resources.cpuQuota == 50_000 && container.config.linux.resources.cpuPeriod == 100_000)
        #expect(container.config.linux.resources.cpuShares == 256)
        let status = try #require(await worker.statuses().first)
        #expect(status.runtimeName == "fakeruntime" && status.containerID == container.status.id)
        #expect(await worker.podIPs() == ["10.244.0.2"])
        await worker.terminate(grace: 1)
        #expect(await fake.sandboxes.isEmpty)
        #expect(await fake.count("StopPodSandbox") == 1)
    }

    @Test func oomKilledContainerIsReportedAndRestartedWithBackoff() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let pod = try makePod(podYAML(name: "hog", script: "true"))
        let worker = CRIPodWorker(pod: pod, context: try context(dir), cri: runtime(fake))
        await worker.start(adopting: nil)
        #expect(await eventually { await worker.statuses().first?.state.isRunning == true })
        let first = try #require(await fake.containers(named: "main").first)
        await fake.exit(first.status.id, code: 137, reason: "OOMKilled")
        // The first restart is immediate, as upstream's; the second waits in CrashLoopBackOff.
        #expect(await eventually {
            let s = await worker.statuses().first
            return s?.restartCount == 1 && s?.state.isRunning == true
        })
        #expect(await worker.statuses().first?.lastTermination?.reason == "OOMKilled")
        let second = try #require(await fake.containers(named: "main").last)
        #expect(second.config.metadata.attempt == 1 && second.config.logPath == "main/1.log")
        await fake.exit(second.status.id, code: 137, reason: "OOMKilled")
        #expect(await eventually {
            if case .waiting("CrashLoopBackOff", _) = await worker.statuses().first?.state { return true }
            return false
        })
        let status = try #require(await worker.statuses().first)
        #expect(status.lastTermination?.reason == "OOMKilled")
        #expect(status.lastTermination?.exitCode == 137)
        await worker.terminate(grace: 0)
    }

    @Test func imageNeverPulledIsErrImageNeverPull() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let yaml = podYAML(name: "never", script: "true").replacingOccurrences(of: "image: busybox:1.36", with: "image: example.com/absent:1\n    imagePullPolicy: Never")
        let worker = CRIPodWorker(pod: try makePod(yaml), context: try context(dir), cri: runtime(fake))
        await worker.start(adopting: nil)
        #expect(await eventually {
            if case .waiting("ErrImageNeverPull", let message) = await worker.statuses().first?.state {
                return message == "Container image \"example.com/absent:1\" is not present with pull policy of Never"
            }
            return false
        })
        #expect(await fake.count("PullImage") == 0)
        await worker.terminate(grace: 0)
    }

    @Test func failedPullIsErrImagePullThenBackOff() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        await fake.setPullError(GRPCStatus(code: .unknown, message: "failed to resolve reference \"example.com/nope:1\": not found"))
        let yaml = podYAML(name: "bad", script: "true").replacingOccurrences(of: "image: busybox:1.36", with: "image: example.com/nope:1")
        let worker = CRIPodWorker(pod: try makePod(yaml), context: try context(dir), cri: runtime(fake))
        await worker.start(adopting: nil)
        #expect(await eventually {
            if case .waiting(let reason, _) = await worker.statuses().first?.state { return reason == "ErrImagePull" }
            return false
        })
        #expect(await eventually {
            if case .waiting(let reason, let message) = await worker.statuses().first?.state {
                return reason == "ImagePullBackOff" && message == "Back-off pulling image \"example.com/nope:1\""
            }
            return false
        })
        await worker.terminate(grace: 0)
    }

    @Test func runningSandboxIsReattachedNotRecreated() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let pod = try makePod(podYAML(name: "keep", script: "sleep 1000"))
        let first = CRIPodWorker(pod: pod, context: try context(dir), cri: runtime(fake))
        await first.start(adopting: nil)
        #expect(await eventually { await first.statuses().first?.state.isRunning == true })
        await first.detach()
        let found = try await KubeRuntimeRelist.sandboxes(fake, logger: testLogger)
        let adopted = try #require(found[pod.uid])
        #expect(adopted.containers["main"]?.running == true)
        let second = CRIPodWorker(pod: pod, context: try context(dir), cri: runtime(fake))
        await second.start(adopting: adopted)
        #expect(await eventually { await second.statuses().first?.state.isRunning == true })
        #expect(await fake.count("RunPodSandbox") == 1)
        #expect(await fake.count("CreateContainer") == 1)
        #expect(await second.statuses().first?.containerID == adopted.containers["main"]?.id)
        await second.terminate(grace: 0)
    }

    @Test func aMissingConfigMapKeepsTheContainerInCreateContainerConfigError() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let pod = try makePod("""
            apiVersion: v1
            kind: Pod
            metadata: {name: cfg}
            spec:
              containers:
              - name: main
                image: busybox:1.36
                command: ["/bin/sleep", "60"]
                env: [{name: A, valueFrom: {configMapKeyRef: {name: settings, key: a}}}]
            """)
        let worker = CRIPodWorker(pod: pod, context: try context(dir), cri: runtime(fake))
        await worker.start(adopting: nil)
        #expect(await eventually {
            if case .waiting("CreateContainerConfigError", let message) = await worker.statuses().first?.state { return message?.isEmpty == false }
            return false
        })
        #expect(await fake.count("CreateContainer") == 0)
        await worker.terminate(grace: 0)
    }

    @Test func aFailedSandboxIsRemovedAndTheNextAttemptRuns() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        await fake.failNextRunPodSandbox()
        let pod = try makePod(podYAML(name: "retry", script: "sleep 60"))
        let worker = CRIPodWorker(pod: pod, context: try context(dir), cri: runtime(fake))
        await worker.start(adopting: nil)
        #expect(await eventually { await worker.statuses().first?.state.isRunning == true })
        let sandboxes = await fake.sandboxes.values
        #expect(sandboxes.count == 1)
        #expect(sandboxes.first?.config.metadata.attempt == 1)
        #expect(await fake.count("RemovePodSandbox") == 1)
        await worker.terminate(grace: 0)
    }

    @Test func hostNetworkSandboxHasNoHostnameAndNodeNamespaces() throws {
        let pod = try makePod(podYAML(name: "hn", script: "true", extra: "  hostNetwork: true"))
        let config = SandboxConfigBuilder.build(pod, attempt: 0, podLogsDir: "/var/log/pods")
        #expect(config.hostname.isEmpty)
        #expect(config.linux.securityContext.namespaceOptions.network == .node)
        let plain = SandboxConfigBuilder.build(try makePod(podYAML(name: "p", script: "true")), attempt: 0, podLogsDir: "/var/log/pods")
        #expect(plain.hostname == "p-n1")
        #expect(plain.linux.securityContext.namespaceOptions.network == .pod)
    }

    @Test func pullPolicyDefaultsAsUpstream() {
        func policy(_ image: String, _ explicit: String? = nil) -> String {
            var c = Container(name: "c")
            c.image = image
            c.imagePullPolicy = explicit
            return ImageManager.pullPolicy(c)
        }
        #expect(policy("busybox") == "Always")
        #expect(policy("busybox:latest") == "Always")
        #expect(policy("busybox:1.36") == "IfNotPresent")
        #expect(policy("localhost:5000/app") == "Always")
        #expect(policy("localhost:5000/app:v1") == "IfNotPresent")
        #expect(policy("busybox@sha256:abc") == "IfNotPresent")
        #expect(policy("busybox", "Never") == "Never")
        #expect(ImageManager.duration(1.5) == "1.5s" && ImageManager.duration(0.25) == "250ms" && ImageManager.duration(2) == "2s")
        #expect(ImageManager.registry(of: "busybox") == "docker.io" && ImageManager.registry(of: "quay.io/x/y") == "quay.io")
    }

    @Test func pullSecretsMatchTheImageRegistry() {
        let config = #"{"auths":{"https://registry.example.com/v1/":{"auth":"dXNlcjpwYXNz"},"other.io":{"username":"a","password":"b"}}}"#
        let secret: JSONValue = ["data": [".dockerconfigjson": .string(Data(config.utf8).base64EncodedString())]]
        let auths = ImageManager.auths(in: secret, registry: "registry.example.com")
        #expect(auths.count == 1)
        #expect(auths.first??.username == "user" && auths.first??.password == "pass")
        #expect(ImageManager.auths(in: secret, registry: "docker.io").isEmpty)
    }

    @Test func guaranteedAndBestEffortOOMScores() throws {
        let guaranteed = try makePod("""
            apiVersion: v1
            kind: Pod
            metadata: {name: g}
            spec:
              containers:
              - name: main
                image: busybox:1.36
                command: ["true"]
                resources: {limits: {cpu: "1", memory: 64Mi}}
            """)
        let r = ContainerConfigBuilder.resources(guaranteed.pod.spec.containers[0], pod: guaranteed, memoryCapacity: 1 << 30)
        #expect(r.oomScoreAdj == -997 && r.cpuShares == 1024 && r.memoryLimitInBytes == 64 << 20)
        let best = try makePod(podYAML(name: "b", script: "true"))
        let rb = ContainerConfigBuilder.resources(best.pod.spec.containers[0], pod: best, memoryCapacity: 1 << 30)
        #expect(rb.oomScoreAdj == 1000 && rb.cpuShares == 2 && rb.memoryLimitInBytes == 0)
    }
}
