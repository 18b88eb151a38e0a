import KubeJSON

/// autoscaling/v2 HorizontalPodAutoscaler, what the horizontal-pod-autoscaler controller reads and writes. Metrics
/// are kept as written: the controller reports them, it does not rewrite them.
public struct HorizontalPodAutoscaler: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: HorizontalPodAutoscalerSpec = .goZero
    @GoValue public var status: HorizontalPodAutoscalerStatus = .goZero
}

public struct CrossVersionObjectReference: Codable, Sendable, Equatable {
    public var kind: String
    public var name: String
    public var apiVersion: String?
}

public struct HorizontalPodAutoscalerSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var scaleTargetRef = CrossVersionObjectReference(kind: "", name: "")
    public var minReplicas: Int32?
    public var maxReplicas: Int32 = 0
    public var metrics: [JSONValue]?
    public var behavior: JSONValue?

    public init() {}
    public static var goZero: HorizontalPodAutoscalerSpec { .init() }
}

public struct HorizontalPodAutoscalerCondition: Codable, Sendable, Equatable {
    public var type: String
    public var status: String
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, lastTransitionTime: String?, reason: String?, message: String?) {
        self.type = type
        self.status = status
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}

public struct HorizontalPodAutoscalerStatus: Codable, Sendable, Equatable, GoZeroValue {
    public var observedGeneration: Int64?
    public var lastScaleTime: String?
    public var currentReplicas: Int32?
    public var desiredReplicas: Int32 = 0
    public var currentMetrics: [JSONValue]?
    public var conditions: [HorizontalPodAutoscalerCondition]?

    public init() {}
    public static var goZero: HorizontalPodAutoscalerStatus { .init() }
}
