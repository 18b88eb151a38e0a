import Foundation
import KubeAPI
@testable import Kubelet
import Testing

/// Host processes in a mount namespace of their own: a volume's host directory appears at its mount path (also
/// where nothing exists on the host), read-only where asked, and nothing of it leaks to the host. Needs root
/// (CAP_SYS_ADMIN), as the kubelet has.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for mount namespaces"))
struct MountNamespaceTests {
    /// Runs `script` with `mounts` and returns what it printed and its exit code.
    func run(_ script: String, mounts: [ContainerMount]) async throws -> (String, Int32) {
        let process = try HostProcess.spawn(argv: ["/bin/sh", "-c", script], environment: ["PATH=\(HostProcess.defaultPath)"],
                                            workingDir: nil, mounts: mounts)
        let status = await process.waitForExit().exitCode
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(process.stdoutRead, &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer.prefix(n)
        }
        close(process.stdoutRead)
        close(process.stderrRead)
        return (String(decoding: out, as: UTF8.self), status)
    }

    @Test func aHostPathAppearsAtItsMountPathOnlyInside() async throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: "\(dir.path)/etcd-from-backup", withIntermediateDirectories: true)
        try dir.write("etcd-from-backup/member", "restored")
        let view = "\(dir.path)/var/lib/etcd"
        let (out, status) = try await run("cat \(view)/member; echo; ls /proc/self/ns/mnt >/dev/null && readlink /proc/self/ns/mnt",
                                          mounts: [ContainerMount(hostPath: "\(dir.path)/etcd-from-backup", containerPath: view, readOnly: false)])
        #expect(status == 0)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first == "restored")
        // Its own namespace, not the kubelet's.
        let own = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/mnt")
        #expect(lines.last != own)
        // On the host the mount point is an empty directory.
        #expect(FileManager.default.fileExists(atPath: view))
        #expect(try FileManager.default.contentsOfDirectory(atPath: view).isEmpty)
    }

    @Test func readOnlyMountsRefuseWritesAndFilesMountOntoFiles() async throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: "\(dir.path)/src", withIntermediateDirectories: true)
        try dir.write("src/config", "one")
        try dir.write("single", "file content")
        let (out, status) = try await run(
            "touch \(dir.path)/ro/new 2>/dev/null && echo wrote || echo refused; cat \(dir.path)/ro/config; echo; cat \(dir.path)/etc/app.conf; echo; touch \(dir.path)/rw/new && echo rw-ok",
            mounts: VolumeManager.ordered([
                ContainerMount(hostPath: "\(dir.path)/src", containerPath: "\(dir.path)/rw", readOnly: false),
                ContainerMount(hostPath: "\(dir.path)/src", containerPath: "\(dir.path)/ro", readOnly: true),
                ContainerMount(hostPath: "\(dir.path)/single", containerPath: "\(dir.path)/etc/app.conf", readOnly: true),
            ]))
        #expect(status == 0)
        #expect(out.split(separator: "\n").map(String.init) == ["refused", "one", "file content", "rw-ok"])
        #expect(FileManager.default.fileExists(atPath: "\(dir.path)/src/new"))
    }

    @Test func aFailedMountIsAStartErrorNamingIt() async throws {
        let dir = try TempDir()
        try dir.write("file", "x")
        // A directory cannot be bound onto a file that exists.
        #expect(throws: RuntimeError.self) {
            try HostProcess.spawn(argv: ["/bin/true"], environment: [], workingDir: nil,
                                  mounts: [ContainerMount(hostPath: "/tmp", containerPath: "\(dir.path)/file", readOnly: false)])
        }
    }

    /// The CKA etcd-restore drill in small: a static pod whose hostPath is mounted at another path reads the
    /// hostPath's content there; an emptyDir is a directory under the pod's volumes.
    @Test func aStaticPodSeesItsHostPathAtItsMountPath() async throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: "\(dir.path)/manifests", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(dir.path)/restored", withIntermediateDirectories: true)
        try dir.write("restored/data", "from-the-backup")
        var config = KubeletConfiguration()
        config.staticPodPath = "\(dir.path)/manifests"
        config.podLogsDir = "\(dir.path)/log/pods"
        let settings = try KubeletSettings(configuration: config, rootDir: "\(dir.path)/root", nodeName: "n1")
        try dir.write("manifests/reader.yaml", podYAML(name: "reader", script: "cat \(dir.path)/view/data; echo; echo scratch > \(dir.path)/scratch/f && ls \(dir.path)/scratch; while true; do sleep 0.2; done", extra: [
            "    volumeMounts:",
            "    - {name: data, mountPath: \"\(dir.path)/view\"}",
            "    - {name: scratch, mountPath: \"\(dir.path)/scratch\"}",
            "  volumes:",
            "  - {name: data, hostPath: {path: \"\(dir.path)/restored\", type: Directory}}",
            "  - {name: scratch, emptyDir: {}}",
        ].joined(separator: "\n")))
        let kubelet = Kubelet(settings: settings, logger: testLogger, hostname: "n1")
        let running = Task { await kubelet.run() }
        defer { running.cancel() }
        func logText() -> String {
            let root = "\(dir.path)/log/pods"
            guard let podDir = (try? FileManager.default.contentsOfDirectory(atPath: root))?.first else { return "" }
            return (try? String(contentsOfFile: "\(root)/\(podDir)/main/0.log", encoding: .utf8)) ?? ""
        }
        #expect(await eventually { logText().contains("stdout F f") })
        #expect(logText().contains("stdout F from-the-backup"))
        let uid = try #require(try FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/root/pods").first)
        #expect(FileManager.default.fileExists(atPath: "\(dir.path)/root/pods/\(uid)/volumes/kubernetes.io~empty-dir/scratch/f"))
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/scratch/f"))
        await kubelet.stopAllPods()
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/root/pods/\(uid)"))
        #expect(FileManager.default.fileExists(atPath: "\(dir.path)/restored/data"))
    }

    /// An exec probe (and later `kubectl exec`) runs in the container's namespace: it sees the container's mounts.
    @Test func execProbesJoinTheContainersMountNamespace() async throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: "\(dir.path)/src", withIntermediateDirectories: true)
        try dir.write("src/healthy", "ok")
        let view = "\(dir.path)/view"
        let container = try HostProcess.spawn(argv: ["/bin/sh", "-c", "sleep 30"], environment: ["PATH=\(HostProcess.defaultPath)"],
                                              workingDir: nil, mounts: [ContainerMount(hostPath: "\(dir.path)/src", containerPath: view, readOnly: true)])
        defer {
            container.signal(SIGKILL)
            close(container.stdoutRead)
            close(container.stderrRead)
        }
        let probe = Probe(exec: ExecAction(command: ["cat", "\(view)/healthy"]))
        #expect(await Prober().inContainer(pid: container.pid).run(probe, timeout: 10) == .success)
        // From the kubelet's own namespace the file is not there.
        #expect(await Prober().run(probe, timeout: 10) != .success)
        container.signal(SIGKILL)
        _ = await container.waitForExit()
        #expect(await Prober().inContainer(pid: container.pid).run(probe, timeout: 10) != .success)
    }
}
