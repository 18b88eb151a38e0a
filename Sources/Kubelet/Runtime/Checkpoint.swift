import FoundationEssentials
import Glibc
import AtomicFile

/// What the kubelet remembers about a running container under `--root-dir`, so that a restarted kubelet
/// re-adopts live processes instead of starting them again.
public struct ContainerCheckpoint: Codable, Sendable, Equatable {
    public var podUID: String
    public var podFullName: String
    public var containerName: String
    public var containerID: String
    public var pid: Int32
    public var startTicks: UInt64
    public var restartCount: Int
    public var startedAt: String
    public var logPath: String
    /// Where the pod came from (`file`, `api`); nil in checkpoints written before API pods ran, which were static.
    public var source: String?
}

/// Reads and writes checkpoints at `<root>/pods/<uid>/containers/<name>/checkpoint.json` atomically.
public struct CheckpointStore: Sendable {
    public let rootDir: String

    public init(rootDir: String) { self.rootDir = rootDir }

    func directory(podUID: String) -> String { "\(rootDir)/pods/\(podUID)" }
    func path(podUID: String, container: String) -> String {
        "\(directory(podUID: podUID))/containers/\(container)/checkpoint.json"
    }

    public func save(_ checkpoint: ContainerCheckpoint) throws {
        let file = path(podUID: checkpoint.podUID, container: checkpoint.containerName)
        try AtomicFile.makeDirectories(AtomicFile.directoryName(of: file), mode: 0o750)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(Array(try encoder.encode(checkpoint)), to: file, mode: 0o600)
    }

    public func load(podUID: String, container: String) -> ContainerCheckpoint? {
        guard let bytes = try? AtomicFile.read(path(podUID: podUID, container: container)) else { return nil }
        return try? JSONDecoder().decode(ContainerCheckpoint.self, from: Data(bytes))
    }

    /// Every checkpoint on disk, for cleaning up pods whose manifest went away while the kubelet was down.
    public func all() -> [ContainerCheckpoint] {
        let podsDir = "\(rootDir)/pods"
        var out: [ContainerCheckpoint] = []
        for uid in AtomicFile.listDirectory(podsDir) ?? [] {
            for name in AtomicFile.listDirectory("\(podsDir)/\(uid)/containers") ?? [] {
                if let cp = load(podUID: uid, container: name) { out.append(cp) }
            }
        }
        return out
    }

    public func removePod(_ uid: String) {
        try? AtomicFile.removeTree(directory(podUID: uid))
    }
}

/// Upstream's CrashLoopBackOff: 10 s doubling to 300 s, measured from the last start; forgotten after
/// 10 minutes of clean running. The first restart after a crash is immediate.
public struct CrashLoopBackOff: Sendable, Equatable {
    public static let initial: Double = 10
    public static let maximum: Double = 300
    public static let resetAfter: Double = 600

    public private(set) var current: Double = 0

    public init() {}

    /// How long to wait before the next start, given how long the last run lasted; advances the backoff.
    public mutating func delay(afterRunning seconds: Double) -> Double {
        if seconds >= Self.resetAfter { current = 0 }
        let wait = max(0, current - seconds)
        current = current == 0 ? Self.initial : min(current * 2, Self.maximum)
        return wait
    }
}

/// Stops every container the kubelet recorded under its root dir (for `bootstrap reset`, after the kubelet is
/// stopped): SIGTERM to each process group, SIGKILL after `grace`. A pid reused by another program is left alone
/// (the recorded start time must match).
public enum StaticPodCleanup {
    @discardableResult
    public static func stopAll(rootDir: String, grace: Double = 10) async -> [ContainerCheckpoint] {
        let checkpoints = CheckpointStore(rootDir: rootDir).all()
        var stopped: [ContainerCheckpoint] = []
        var processes: [HostProcess] = []
        for checkpoint in checkpoints {
            guard let process = HostProcess.adopt(pid: checkpoint.pid, startTicks: checkpoint.startTicks) else { continue }
            process.signal(SIGTERM)
            processes.append(process)
            stopped.append(checkpoint)
        }
        let deadline = Date().addingTimeInterval(grace)
        while processes.contains(where: \.isAlive), Date() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        for process in processes where process.isAlive { process.signal(SIGKILL) }
        return stopped
    }
}
