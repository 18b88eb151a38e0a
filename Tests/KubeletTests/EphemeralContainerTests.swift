import CRIClient
import Foundation
import KubeAPI
import KubeJSON
import Testing
@testable import Kubelet

/// `kubectl debug`: ephemeral containers added to a running pod through `pods/ephemeralcontainers`.
extension CRIRuntimeTests {
    static func apiPod(name: String = "web", uid: String = "uid-web", containers: JSONValue, ephemeral: JSONValue? = nil) throws -> KubeletPod {
        var spec: JSONValue = ["nodeName": "n1", "terminationGracePeriodSeconds": 1, "containers": containers]
        if let ephemeral { spec["ephemeralContainers"] = ephemeral }
        let json: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                               "metadata": ["name": .string(name), "namespace": "default", "uid": .string(uid)], "spec": spec]
        return try APIServerPodSource.kubeletPod(json).get()
    }

    static let sleeper: JSONValue = [["name": "main", "image": "busybox:1.36", "command": ["sleep", "3600"]]]
    static let debugger: JSONValue = [["name": "debugger", "image": "busybox:1.36", "targetContainerName": "main",
                                       "stdin": true, "tty": true, "imagePullPolicy": "IfNotPresent"]]

    @Test func anEphemeralContainerJoinsItsTargetsProcessNamespaceAndRunsOnce() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let pod = try Self.apiPod(containers: Self.sleeper)
        let worker = CRIPodWorker(pod: pod, context: try context(dir), cri: runtime(fake))
        await worker.start(adopting: nil)
        #expect(await eventually { await worker.statuses().first?.state.isRunning == true })
        #expect(await worker.ephemeralStatuses().isEmpty)

        let debugged = try Self.apiPod(containers: Self.sleeper, ephemeral: Self.debugger)
        #expect(debugged.pod.spec.ephemeralContainers?.first?.targetContainerName == "main")
        await worker.update(debugged)
        #expect(await eventually { await worker.ephemeralStatuses().first?.state.isRunning == true })
        let main = try #require(await fake.containers(named: "main").first)
        let debug = try #require(await fake.containers(named: "debugger").first)
        #expect(debug.sandboxID == main.sandboxID)
        #expect(debug.config.linux.securityContext.namespaceOptions.pid == .target)
        #expect(debug.config.linux.securityContext.namespaceOptions.targetID == main.status.id)
        #expect(debug.config.command.isEmpty, "no command: the image's entrypoint runs")
        #expect(debug.config.tty && debug.config.stdin)
        #expect(debug.config.labels["io.kubernetes.container.name"] == "debugger")
        let status = try #require(await worker.ephemeralStatuses().first)
        #expect(status.name == "debugger" && !status.ready && status.containerID == debug.status.id)
        #expect(await worker.containerID(named: "debugger") == debug.status.id, "exec and attach find it")

        // The pod's status lists it apart from the containers, which it does not make unready.
        var transitions: [String: (String, Date)] = [:]
        let built = PodStatusBuilder.build(.init(pod: debugged, initStatuses: [], statuses: await worker.statuses(), startTime: Date(),
                                                 hostIP: "10.0.0.1", ephemeralStatuses: await worker.ephemeralStatuses()),
                                           transitions: &transitions)
        #expect(built["ephemeralContainerStatuses"]?.array?.first?["name"] == "debugger")
        #expect(built["containerStatuses"]?.array?.count == 1)
        #expect(built["conditions"]?.array?.first { $0["type"] == "Ready" }?["status"] == "True")

        // It ends and stays ended: an ephemeral container is never restarted, and the same spec again starts nothing.
        await fake.exit(debug.status.id, code: 0, reason: "Completed")
        #expect(await eventually {
            if case .terminated(0, "Completed", _) = await worker.ephemeralStatuses().first?.state { return true }
            return false
        })
        await worker.update(debugged)
        #expect(await fake.containers(named: "debugger").count == 1)
        #expect(await worker.ephemeralStatuses().first?.restartCount == 0)
        await worker.terminate(grace: 0)
        #expect(await fake.sandboxes.isEmpty)
    }

    @Test func anEphemeralContainerWaitsForItsTargetToRun() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let absent: JSONValue = [["name": "main", "image": "example.com/absent:1", "imagePullPolicy": "Never", "command": ["sleep", "1"]]]
        let worker = CRIPodWorker(pod: try Self.apiPod(containers: absent, ephemeral: Self.debugger), context: try context(dir),
                                  cri: runtime(fake))
        await worker.start(adopting: nil)
        #expect(await eventually {
            if case .waiting("CreateContainerConfigError", let message) = await worker.ephemeralStatuses().first?.state {
                return message == "unable to find target container main"
            }
            return false
        })
        #expect(await fake.containers(named: "debugger").isEmpty)
        await worker.terminate(grace: 0)
    }

    @Test func anEphemeralContainerThatEndedIsNotRunAgainAfterAKubeletRestart() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let pod = try Self.apiPod(containers: Self.sleeper, ephemeral: Self.debugger)
        let first = CRIPodWorker(pod: pod, context: try context(dir), cri: runtime(fake))
        await first.start(adopting: nil)
        #expect(await eventually { await first.ephemeralStatuses().first?.state.isRunning == true })
        let debug = try #require(await fake.containers(named: "debugger").first)
        await fake.exit(debug.status.id, code: 3, reason: "Error")
        #expect(await eventually { await first.ephemeralStatuses().first?.state.isTerminated == true })
        await first.detach()

        let adopted = try #require(try await KubeRuntimeRelist.sandboxes(fake, logger: testLogger)[pod.uid])
        let second = CRIPodWorker(pod: pod, context: try context(dir), cri: runtime(fake))
        await second.start(adopting: adopted)
        #expect(await eventually {
            if case .terminated(3, "Error", _) = await second.ephemeralStatuses().first?.state { return true }
            return false
        })
        #expect(await fake.containers(named: "debugger").count == 1)
        #expect(await fake.count("CreateContainer") == 2)
        await second.terminate(grace: 0)
    }

    @Test func aHostProcessPodSaysWhyItsEphemeralContainerDoesNotStart() async throws {
        let dir = try TempDir()
        let (events, continuation) = AsyncStream<PodEvent>.makeStream()
        let pod = try Self.apiPod(containers: Self.sleeper)
        let worker = PodWorker(pod: pod, context: try context(dir, events: PodEventSink(continuation)))
        await worker.update(try Self.apiPod(containers: Self.sleeper, ephemeral: Self.debugger))
        let status = try #require(await worker.ephemeralStatuses().first)
        guard case .waiting("CreateContainerError", let message) = status.state else {
            Issue.record("expected CreateContainerError, got \(status.state)")
            return
        }
        #expect(message?.contains("need a container runtime") == true)
        var iterator = events.makeAsyncIterator()
        let event = try #require(await iterator.next())
        #expect(event.reason == "Failed" && event.fieldPath == "spec.ephemeralContainers{debugger}")
        await worker.terminate(grace: 0)
    }

    @Test func aPodWithoutACommandRunsInTheContainerRuntimeAndIsRefusedAsHostProcesses() async throws {
        let dir = try TempDir()
        let imageOnly: JSONValue = [["name": "web", "image": "busybox:1.36"]]
        let pod = try Self.apiPod(name: "plain", uid: "uid-plain", containers: imageOnly)
        var configuration = KubeletConfiguration()
        configuration.podLogsDir = "\(dir.path)/pods-logs"
        let settings = try KubeletSettings(configuration: configuration, rootDir: "\(dir.path)/root", nodeName: "n1")

        let hostOnly = Kubelet(settings: settings, logger: testLogger, hostname: "n1")
        await hostOnly.sync([pod])
        let rejection = try #require(await hostOnly.rejection(of: "uid-plain"))
        #expect(rejection.reason == "CreateContainerConfigError" && rejection.container == "web")
        #expect(rejection.message.contains("command or args is required"))
        #expect(await !hostOnly.isActive("uid-plain"))

        let fake = FakeRuntimeService()
        let withRuntime = Kubelet(settings: settings, logger: testLogger, hostname: "n1")
        await withRuntime.use(runtime: runtime(fake))
        await withRuntime.sync([pod])
        #expect(await withRuntime.rejection(of: "uid-plain") == nil)
        #expect(await eventually { await fake.containers(named: "web").first?.status.state == .containerRunning })
        await withRuntime.stopAllPods()
    }

    @Test func ephemeralContainersKeepTheirFieldsThroughCoding() throws {
        let pod = try Self.apiPod(containers: Self.sleeper, ephemeral: Self.debugger)
        let encoded = try JSONValueEncoder().encode(pod.pod)
        let first = encoded[path: ["spec", "ephemeralContainers"]]?.array?.first
        #expect(first?["targetContainerName"] == "main")
        #expect(first?["name"] == "debugger" && first?["image"] == "busybox:1.36" && first?["tty"] == true)
        #expect(encoded[path: ["spec", "containers"]]?.array?.first?["targetContainerName"] == nil)
    }
}

extension CRIRuntimeTests {
    /// upstream's PLEG: the node's containers are relisted once per period, whatever their number; a container's
    /// status is read again only when the relist shows its state changed.
    @Test func oneRelistFollowsEveryContainerAndAnExitIsSeenThroughIt() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let cri = runtime(fake, relistPeriod: .milliseconds(50))
        let context = try context(dir)
        var workers: [CRIPodWorker] = []
        for i in 0..<5 {
            let pod = try Self.apiPod(name: "p\(i)", uid: "uid-p\(i)", containers: Self.sleeper)
            let worker = CRIPodWorker(pod: pod, context: context, cri: cri)
            await worker.start(adopting: nil)
            workers.append(worker)
        }
        for worker in workers { #expect(await eventually { await worker.statuses().first?.state.isRunning == true }) }
        let statusReads = await fake.count("ContainerStatus")
        let lists = await fake.count("ListContainers")
        #expect(await eventually { await fake.count("ListContainers") >= lists + 10 })
        #expect(await fake.count("ContainerStatus") == statusReads, "running containers are followed by the relist alone")

        let first = try #require(await fake.containers(named: "main").first { $0.config.labels["io.kubernetes.pod.uid"] == "uid-p0" })
        await fake.exit(first.status.id, code: 1, reason: "Error")
        #expect(await eventually { await workers[0].statuses().first?.restartCount == 1 })
        for worker in workers { await worker.terminate(grace: 0) }
    }
}

extension CRIRuntimeTests {
    /// upstream's SandboxChanged: a sandbox that stops being ready (its pause process killed) is replaced, and the
    /// pod's containers start again in the new one as their restart policy says.
    @Test func aSandboxThatDiesIsReplacedAndTheContainersStartAgainInIt() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let (events, continuation) = AsyncStream<PodEvent>.makeStream()
        let cri = runtime(fake, relistPeriod: .milliseconds(50))
        let pod = try Self.apiPod(containers: Self.sleeper)
        let worker = CRIPodWorker(pod: pod, context: try context(dir, events: PodEventSink(continuation)), cri: cri)
        await worker.start(adopting: nil)
        #expect(await eventually { await worker.statuses().first?.state.isRunning == true })
        let old = try #require(await fake.sandboxes.first)
        await fake.killSandbox(old.key)

        #expect(await eventually {
            let s = await worker.statuses().first
            return s?.state.isRunning == true && s?.restartCount == 1
        })
        let sandboxes = await fake.sandboxes
        #expect(sandboxes.count == 1 && sandboxes[old.key] == nil, "the dead sandbox is removed")
        let current = try #require(sandboxes.first)
        #expect(current.value.config.metadata.attempt == 1)
        let main = try #require(await fake.containers(named: "main").last)
        #expect(main.sandboxID == current.key && main.status.state == .containerRunning)
        #expect(await worker.podIPs() == [current.value.ip])
        var iterator = events.makeAsyncIterator()
        var reasons: [String] = []
        while let event = await iterator.next() {
            reasons.append(event.reason)
            if event.reason == "SandboxChanged" { break }
        }
        #expect(reasons.last == "SandboxChanged")
        await worker.terminate(grace: 0)
        #expect(await fake.sandboxes.isEmpty)
    }
}

extension CRIRuntimeTests {
    @Test func aPodThatNeverRestartsGetsNoNewSandbox() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let cri = runtime(fake, relistPeriod: .milliseconds(50))
        var pod = try Self.apiPod(containers: Self.sleeper)
        pod.pod.spec.restartPolicy = "Never"
        let worker = CRIPodWorker(pod: pod, context: try context(dir), cri: cri)
        await worker.start(adopting: nil)
        #expect(await eventually { await worker.statuses().first?.state.isRunning == true })
        let old = try #require(await fake.sandboxes.first)
        await fake.killSandbox(old.key)
        #expect(await eventually { await worker.statuses().first?.state.isTerminated == true })
        // Stopped once, not replaced: the watch of the sandbox ended with it.
        #expect(await fake.count("RunPodSandbox") == 1)
        #expect(await fake.count("StopContainer") == 1)
        await worker.terminate(grace: 0)
    }

    /// Deleting a pod whose init container still runs stops it, rather than waiting for it to finish.
    @Test func aPodIsDeletedWhileItsInitContainerRuns() async throws {
        let dir = try TempDir()
        let fake = FakeRuntimeService()
        let json: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                               "metadata": ["name": "init", "namespace": "default", "uid": "uid-init"],
                               "spec": ["nodeName": "n1", "restartPolicy": "Always",
                                        "initContainers": [["name": "setup", "image": "busybox:1.36", "command": ["sleep", "3600"]]],
                                        "containers": Self.sleeper]]
        let worker = CRIPodWorker(pod: try APIServerPodSource.kubeletPod(json).get(), context: try context(dir), cri: runtime(fake))
        await worker.start(adopting: nil)
        #expect(await eventually { await worker.initStatuses().first?.state.isRunning == true })
        let terminated = Task { await worker.terminate(grace: 1) }
        #expect(await eventually { await worker.state == .terminated })
        await terminated.value
        #expect(await fake.containers(named: "main").isEmpty, "the containers never started")
        #expect(await fake.sandboxes.isEmpty)
    }
}
