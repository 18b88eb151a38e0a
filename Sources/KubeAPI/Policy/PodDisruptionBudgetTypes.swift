/// policy/v1 PodDisruptionBudget, the fields the disruption controller reads and writes.
public struct PodDisruptionBudget: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: PodDisruptionBudgetSpec = .goZero
    @GoValue public var status: PodDisruptionBudgetStatus = .goZero
}

public struct PodDisruptionBudgetSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var minAvailable: IntOrString?
    /// policy/v1: nil selects no pods, empty every pod of the namespace.
    public var selector: LabelSelector?
    public var maxUnavailable: IntOrString?
    public var unhealthyPodEvictionPolicy: String?

    public init() {}
    public static var goZero: PodDisruptionBudgetSpec { .init() }
}

public struct PodDisruptionBudgetStatus: Codable, Sendable, Equatable, GoZeroValue {
    @OmitEmpty public var observedGeneration: Int64 = 0
    /// Pod name → when the eviction API let it go.
    public var disruptedPods: [String: String]?
    @GoValue public var disruptionsAllowed: Int32 = 0
    @GoValue public var currentHealthy: Int32 = 0
    @GoValue public var desiredHealthy: Int32 = 0
    @GoValue public var expectedPods: Int32 = 0
    public var conditions: [Condition]?

    public init() {}
    public static var goZero: PodDisruptionBudgetStatus { .init() }
}
