import FoundationEssentials

/// A container's state as the kubelet reports it (core/v1 ContainerState, simplified).
public enum ContainerState: Sendable, Equatable {
    case waiting(reason: String, message: String?)
    case running(startedAt: Date)
    case terminated(exitCode: Int32, reason: String, finishedAt: Date)

    public var isRunning: Bool { if case .running = self { return true }; return false }
    public var isCrashLooping: Bool {
        if case .waiting(let reason, _) = self { return reason == "CrashLoopBackOff" }
        return false
    }
}

/// What the pod's owner sees of one container.
public struct ContainerStatusSnapshot: Sendable, Equatable {
    public var name: String
    public var state: ContainerState
    public var restartCount: Int
    public var ready: Bool
    public var pid: Int32?
    public var containerID: String?
    public var image: String = ""
    /// The previous run's end (core/v1 `lastState.terminated`).
    public var lastTermination: Termination?
    /// Whether the startup probe (if any) has passed.
    public var started: Bool = false
    /// The scheme of `containerID` in the pod's status: the CRI runtime's name (`containerd://…`), or `kubestrap`
    /// for a host process.
    public var runtimeName: String = "kubestrap"
    /// The image the runtime ran (`docker.io/library/busybox@sha256:…`); empty for host processes.
    public var imageID: String = ""

    public struct Termination: Sendable, Equatable {
        public var exitCode: Int32
        public var reason: String
        public var startedAt: Date
        public var finishedAt: Date
        public var containerID: String?
    }
}

/// What the runtime reports for core/v1 Events (Created, Started, Killing, BackOff, Unhealthy, Failed).
public struct PodEvent: Sendable {
    public var podUID: String
    /// Empty for an event about the pod (its sandbox) rather than one container.
    public var container: String
    public var type: String
    public var reason: String
    public var message: String
    /// The event is about an init container (`spec.initContainers{name}`).
    public var initContainer = false
    /// The event is about an ephemeral container (`spec.ephemeralContainers{name}`).
    public var ephemeralContainer = false

    /// Where in the pod spec the container is, as events name it (`involvedObject.fieldPath`).
    var fieldPath: String {
        let list = ephemeralContainer ? "ephemeralContainers" : initContainer ? "initContainers" : "containers"
        return "spec.\(list){\(container)}"
    }
}

/// Where containers report events; the mirror-pod machinery turns them into Events in the API.
public struct PodEventSink: Sendable {
    let continuation: AsyncStream<PodEvent>.Continuation
    public init(_ continuation: AsyncStream<PodEvent>.Continuation) { self.continuation = continuation }
    public func emit(_ event: PodEvent) { continuation.yield(event) }
}
