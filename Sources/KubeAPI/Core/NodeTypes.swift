/// core/v1 Node, the fields the node lifecycle and taint-eviction controllers read and write.
public struct Node: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: NodeSpec = .goZero
    @GoValue public var status: NodeStatus = .goZero
}

public struct NodeSpec: Codable, Sendable, Equatable, GoZeroValue {
    @OmitEmpty public var unschedulable: Bool = false
    public var taints: [Taint]?

    public init() {}
    public static var goZero: NodeSpec { .init() }
}

public struct Taint: Codable, Sendable, Equatable, Hashable {
    @GoValue public var key: String = ""
    @OmitEmpty public var value: String = ""
    /// NoSchedule, PreferNoSchedule or NoExecute.
    @GoValue public var effect: String = ""
    /// When a NoExecute taint was added (the eviction clock of pods that tolerate it for a while).
    public var timeAdded: String?

    public init(key: String, value: String = "", effect: String, timeAdded: String? = nil) {
        self.key = key
        self.value = value
        self.effect = effect
        self.timeAdded = timeAdded
    }
}

public struct NodeStatus: Codable, Sendable, Equatable, GoZeroValue {
    public var conditions: [NodeCondition]?

    public init() {}
    public static var goZero: NodeStatus { .init() }

    public func condition(_ type: String) -> NodeCondition? { conditions?.first { $0.type == type } }
}

/// core/v1 NodeCondition (`Ready`, `MemoryPressure`, …).
public struct NodeCondition: Codable, Sendable, Equatable, Hashable {
    @GoValue public var type: String = ""
    @GoValue public var status: String = ""
    public var lastHeartbeatTime: String?
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, reason: String? = nil, message: String? = nil, lastHeartbeatTime: String? = nil,
                lastTransitionTime: String? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastHeartbeatTime = lastHeartbeatTime
        self.lastTransitionTime = lastTransitionTime
    }
}

extension Toleration {
    /// Toleration.ToleratesTaint: an empty effect or key matches any; the operator is Equal (default) or Exists.
    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, !effect.isEmpty, effect != taint.effect { return false }
        if let key, !key.isEmpty, key != taint.key { return false }
        switch `operator` ?? "" {
        case "", "Equal": return (value ?? "") == taint.value
        case "Exists": return true
        default: return false
        }
    }
}
