import KubeJSON

/// batch/v1 Job, the fields the job, cronjob and ttl-after-finished controllers read and write (the pod template as
/// stored, see ReplicaSet). podFailurePolicy and successPolicy are not modelled: Kubestrap does not act on them, and
/// a write leaves them as stored.
public struct Job: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: JobSpec = .goZero
    @GoValue public var status: JobStatus = .goZero
}

public struct JobSpec: Codable, Sendable, Equatable, GoZeroValue {
    public var parallelism: Int32?
    public var completions: Int32?
    public var activeDeadlineSeconds: Int64?
    public var backoffLimit: Int32?
    public var backoffLimitPerIndex: Int32?
    public var maxFailedIndexes: Int32?
    public var selector: LabelSelector?
    public var manualSelector: Bool?
    public var template: JSONValue?
    public var ttlSecondsAfterFinished: Int32?
    /// "NonIndexed" (the default) or "Indexed".
    public var completionMode: String?
    public var suspend: Bool?

    public init() {}
    public static var goZero: JobSpec { .init() }
}

public struct JobStatus: Codable, Sendable, Equatable, GoZeroValue {
    public var conditions: [JobCondition]?
    public var startTime: String?
    public var completionTime: String?
    @OmitEmpty public var active: Int32 = 0
    @OmitEmpty public var succeeded: Int32 = 0
    @OmitEmpty public var failed: Int32 = 0
    public var terminating: Int32?
    @OmitEmpty public var completedIndexes: String = ""
    public var failedIndexes: String?
    public var uncountedTerminatedPods: UncountedTerminatedPods?
    public var ready: Int32?

    public init() {}
    public static var goZero: JobStatus { .init() }

    public func condition(_ type: String) -> JobCondition? { conditions?.first { $0.type == type } }
}

public struct UncountedTerminatedPods: Codable, Sendable, Equatable {
    @OmitEmpty public var succeeded: [String] = []
    @OmitEmpty public var failed: [String] = []

    public init(succeeded: [String] = [], failed: [String] = []) {
        self.succeeded = succeeded
        self.failed = failed
    }
}

public struct JobCondition: Codable, Sendable, Equatable {
    @GoValue public var type: String = ""
    @GoValue public var status: String = ""
    public var lastProbeTime: String?
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, reason: String?, message: String?, lastProbeTime: String?, lastTransitionTime: String?) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastProbeTime = lastProbeTime
        self.lastTransitionTime = lastTransitionTime
    }
}

extension Job {
    /// Complete=True or Failed=True (upstream's IsJobFinished): the Job's condition type, if it has finished.
    public var finishedCondition: String? {
        status.conditions?.first { ($0.type == "Complete" || $0.type == "Failed") && $0.status == "True" }?.type
    }
}
