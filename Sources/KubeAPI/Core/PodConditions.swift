/// core/v1 PodCondition (`Ready`, `PodScheduled`, `DisruptionTarget`, …).
public struct PodCondition: Codable, Sendable, Equatable {
    @GoValue public var type: String = ""
    @GoValue public var status: String = ""
    public var lastProbeTime: String?
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, reason: String? = nil, message: String? = nil, lastTransitionTime: String? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }
}

/// core/v1 ContainerStatus, the parts controllers read (restarts, and when a container finished).
public struct ContainerStatus: Codable, Sendable, Equatable {
    @GoValue public var name: String = ""
    @GoValue public var ready: Bool = false
    @GoValue public var restartCount: Int32 = 0
    public var state: State?
    public var lastState: State?
    public var image: String?
    public var imageID: String?
    public var containerID: String?
    public var started: Bool?

    public init(name: String) { self.name = name }
}

extension ContainerStatus {
    /// upstream's ContainerState (nested: the kubelet has a ContainerState of its own).
    public struct State: Codable, Sendable, Equatable {
        public var waiting: ContainerStateWaiting?
        public var running: ContainerStateRunning?
        public var terminated: ContainerStateTerminated?

        public init() {}
    }
}

public struct ContainerStateWaiting: Codable, Sendable, Equatable {
    public var reason: String?
    public var message: String?
}

public struct ContainerStateRunning: Codable, Sendable, Equatable {
    public var startedAt: String?
}

public struct ContainerStateTerminated: Codable, Sendable, Equatable {
    @GoValue public var exitCode: Int32 = 0
    public var signal: Int32?
    public var reason: String?
    public var message: String?
    public var startedAt: String?
    public var finishedAt: String?
}

extension PodStatus {
    /// The condition of `type`, if the pod has one.
    public func condition(_ type: String) -> PodCondition? {
        conditions?.first { $0.type == type }
    }

    /// Ready=True (upstream's IsPodReady).
    public var isReady: Bool { condition("Ready")?.status == "True" }

    /// Succeeded or Failed: its containers will not run again.
    public var isTerminal: Bool { phase == "Succeeded" || phase == "Failed" }
}

extension PodStatus: GoZeroValue {
    public static var goZero: PodStatus { PodStatus() }
}
