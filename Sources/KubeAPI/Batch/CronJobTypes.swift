import KubeJSON

/// batch/v1 CronJob, the fields its controller reads and writes. The job template stays as stored: it becomes the
/// Job as written.
public struct CronJob: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: CronJobSpec = .goZero
    @GoValue public var status: CronJobStatus = .goZero
}

public struct CronJobSpec: Codable, Sendable, Equatable, GoZeroValue {
    @GoValue public var schedule: String = ""
    public var timeZone: String?
    public var startingDeadlineSeconds: Int64?
    /// "Allow" (the default), "Forbid" or "Replace".
    @OmitEmpty public var concurrencyPolicy: String = ""
    public var suspend: Bool?
    /// A batch/v1 JobTemplateSpec, as stored.
    public var jobTemplate: JSONValue?
    public var successfulJobsHistoryLimit: Int32?
    public var failedJobsHistoryLimit: Int32?

    public init() {}
    public static var goZero: CronJobSpec { .init() }
}

public struct CronJobStatus: Codable, Sendable, Equatable, GoZeroValue {
    @OmitEmpty public var active: [ObjectReference] = []
    public var lastScheduleTime: String?
    public var lastSuccessfulTime: String?

    public init() {}
    public static var goZero: CronJobStatus { .init() }
}
