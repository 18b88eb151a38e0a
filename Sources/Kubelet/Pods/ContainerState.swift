import Foundation

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
}
