import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// One Job's reconciliation, as upstream's syncJob: count finished pods, decide success or failure, else create or
/// delete pods to reach the wanted number of active ones. Runs only with the caches caught up with the controller's
/// own writes (see JobObservations and Expectations).
struct JobSync {
    /// The Job as last read or written.
    private(set) var job: JSONValue
    let key: String
    let pods: [JSONValue]
    let controller: JobController
    let now: Double
    private(set) var status: JSONValue

    init(job: JSONValue, key: String, pods: [JSONValue], controller: JobController, now: Double) {
        self.job = job
        self.key = key
        self.pods = pods
        self.controller = controller
        self.now = now
        status = job["status"] ?? .emptyObject
    }

    var spec: JSONValue { job["spec"] ?? .emptyObject }
    // int32 fields, clamped and non-negative (see goInt32), so the arithmetic below cannot overflow.
    var completions: Int? { spec.goInt32(["completions"]).map { max(0, $0) } }
    var parallelism: Int { max(0, spec.goInt32(["parallelism"]) ?? 1) }
    private func counter(_ name: String) -> Int { max(0, status.goInt32([name]) ?? 0) }
    /// The first write this sync that failed (a pod creation, a finalizer): the Job is retried with backoff after
    /// the rest of the sync, status included.
    var failure: (any Error)?
    private var indexed: Bool { spec["completionMode"]?.string == "Indexed" }
    private var suspended: Bool { spec["suspend"]?.bool == true }
    var recorder: EventRecorder { controller.context.recorder }

    /// The seconds until the Job next needs attention (a backoff or deadline), if any.
    mutating func run() async throws -> Double? {
        guard try await trackFinishedPods() else { return nil }
        var wake: Double?
        let active = pods.filter(Workloads.isActive)
        let terminating = pods.filter { $0.metaDeletionTimestamp != nil && !Self.isTerminal($0) }
        if suspended {
            await deletePods(active)
            setCondition("Suspended", reason: "JobSuspended", message: "Job suspended")
            status["startTime"] = nil
        } else {
            if condition("Suspended") == "True" {
                setCondition("Suspended", status: "False", reason: "JobResumed", message: "Job resumed")
                status["startTime"] = nil
            }
            if status["startTime"] == nil { status["startTime"] = .string(RFC3339.format(now)) }
            wake = await reconcile(active: active, terminating: terminating)
        }
        status["active"] = Workloads.int32(max(0, active.count - deletedCount + createdCount))
        status["ready"] = Workloads.int32(active.filter(Workloads.isReady).count)
        status["terminating"] = Workloads.int32(terminating.count + deletedCount)
        if status["active"] == .int(0) { status["active"] = nil }
        status["observedGeneration"] = nil
        _ = try await writeStatus()
        if let failure { throw failure }
        return wake
    }

    /// The status written over the version it was computed from; nil when nothing was (unchanged, or a lost race
    /// that the Job's next event brings another sync for).
    private mutating func writeStatus() async throws -> JSONValue? {
        guard let written = try await controller.jobs.updateStatus(job, status) else { return nil }
        controller.observations.wroteStatus(key, written)
        job = written
        return written
    }

    // MARK: finished pods

    /// Moves pods that finished into the counters through uncountedTerminatedPods, then lets go of their finalizer,
    /// so that a crash between the two steps neither loses nor double-counts a pod.
    /// false when the Job changed under this sync (its event brings the next).
    private mutating func trackFinishedPods() async throws -> Bool {
        var uncountedSucceeded = Set(status[path: ["uncountedTerminatedPods", "succeeded"]]?.array?.compactMap(\.string) ?? [])
        var uncountedFailed = Set(status[path: ["uncountedTerminatedPods", "failed"]]?.array?.compactMap(\.string) ?? [])
        var newlyFinished: [JSONValue] = []
        for pod in pods where pod.metaFinalizers.contains(JobController.trackingFinalizer) {
            let phase = pod[path: ["status", "phase"]]?.string
            if phase == "Succeeded" {
                uncountedSucceeded.insert(pod.metaUID)
            } else if phase == "Failed" || pod.metaDeletionTimestamp != nil {
                // Pods stopped because the Job was suspended do not count as failures.
                if !suspended { uncountedFailed.insert(pod.metaUID) }
            } else {
                continue
            }
            newlyFinished.append(pod)
        }
        setUncounted(uncountedSucceeded, uncountedFailed)
        if !newlyFinished.isEmpty, job["status"] != status {
            guard try await writeStatus() != nil else { return false }
        }
        var released = Set<String>()
        for pod in newlyFinished {
            do {
                try await controller.removeTrackingFinalizer(pod, key: key)
                released.insert(pod.metaUID)
            } catch {
                failure = failure ?? error
            }
        }
        let stillTracked = Set(pods.filter { $0.metaFinalizers.contains(JobController.trackingFinalizer) }.map(\.metaUID)).subtracting(released)
        let succeeded = uncountedSucceeded.subtracting(stillTracked)
        let failed = uncountedFailed.subtracting(stillTracked)
        add(succeeded.count, to: "succeeded")
        add(failed.count, to: "failed")
        if indexed {
            let done = pods.filter { succeeded.contains($0.metaUID) }.compactMap(Self.index)
            let indexes = CompletedIndexes(status["completedIndexes"]?.string ?? "", below: completions ?? 0).adding(done, below: completions ?? 0)
            status["completedIndexes"] = indexes.isEmpty ? nil : .string(indexes.description)
        }
        setUncounted(uncountedSucceeded.subtracting(succeeded), uncountedFailed.subtracting(failed))
        return true
    }

    private mutating func setUncounted(_ succeeded: Set<String>, _ failed: Set<String>) {
        var uncounted: [String: JSONValue] = [:]
        if !succeeded.isEmpty { uncounted["succeeded"] = .array(succeeded.sorted().map { .string($0) }) }
        if !failed.isEmpty { uncounted["failed"] = .array(failed.sorted().map { .string($0) }) }
        status["uncountedTerminatedPods"] = .object(uncounted)
    }

    private mutating func add(_ n: Int, to name: String) {
        let total = counter(name) + n
        status[name] = total == 0 ? nil : Workloads.int32(total)
    }

    // MARK: success, failure, pods

    /// Pods this sync deleted and created, which its pod list does not show yet.
    var deletedCount = 0
    var createdCount = 0

    private mutating func reconcile(active: [JSONValue], terminating: [JSONValue]) async -> Double? {
        let succeeded = counter("succeeded")
        let failed = counter("failed")
        let restarts = spec[path: ["template", "spec", "restartPolicy"]]?.string == "OnFailure"
            ? active.map(Self.restartCount).saturatedSum() : 0
        let backoffLimit = max(0, spec.goInt32(["backoffLimit"]) ?? 6)
        var wake: Double?

        if condition("FailureTarget") != "True", condition("SuccessCriteriaMet") != "True" {
            if failed.addingSaturated(restarts) > backoffLimit {
                setCondition("FailureTarget", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit")
            } else if let deadline = spec.goInt64(["activeDeadlineSeconds"]),
                      let start = Workloads.seconds(status["startTime"]?.string) {
                if now >= start + Double(deadline) {
                    setCondition("FailureTarget", reason: "DeadlineExceeded", message: "Job was active longer than specified deadline")
                } else {
                    wake = start + Double(deadline) - now
                }
            }
            if condition("FailureTarget") != "True", isSuccessful(succeeded: succeeded, active: active.count) {
                setCondition("SuccessCriteriaMet", reason: "CompletionsReached", message: "Reached expected number of succeeded pods")
            }
        }
        if condition("FailureTarget") == "True" {
            await deletePods(active)
            if active.isEmpty && terminating.isEmpty, let target = conditionObject("FailureTarget") {
                setCondition("Failed", reason: target["reason"]?.string ?? "", message: target["message"]?.string ?? "")
                recorder.event(job, type: "Warning", reason: target["reason"]?.string ?? "Failed", message: target["message"]?.string ?? "")
            }
            return nil
        }
        if condition("SuccessCriteriaMet") == "True" {
            await deletePods(active)
            if active.isEmpty && terminating.isEmpty {
                setCondition("Complete", reason: "CompletionsReached", message: "Reached expected number of succeeded pods")
                status["completionTime"] = .string(RFC3339.format(now))
                recorder.event(job, reason: "Completed", message: "Job completed")
            }
            return nil
        }

        // Recreating after failures waits 10 s, doubling per failure up to 10 min, from the last failure.
        if failed > 0, let lastFailure = pods.filter({ $0[path: ["status", "phase"]]?.string == "Failed" }).compactMap(Self.finishedAt).max() {
            let delay = min(10 * Double(1 << min(failed - 1, 10)), 600)
            if now < lastFailure + delay { return min(wake ?? .infinity, lastFailure + delay - now) }
        }
        if indexed {
            await createIndexed(active: active)
        } else {
            let wanted: Int
            if let completions {
                wanted = max(0, min(parallelism, completions - succeeded))
            } else {
                wanted = succeeded > 0 ? min(active.count, parallelism) : parallelism
            }
            if active.count < wanted {
                await create(indexes: Array(repeating: nil, count: min(wanted - active.count, JobController.burst)))
            } else if active.count > wanted {
                let victims = active.sorted { ($0.metaCreationTimestamp ?? "") > ($1.metaCreationTimestamp ?? "") }.prefix(active.count - wanted)
                await deletePods(Array(victims))
            }
        }
        return wake
    }

    private func isSuccessful(succeeded: Int, active: Int) -> Bool {
        guard let completions else { return succeeded > 0 && active == 0 }
        if indexed { return CompletedIndexes(status["completedIndexes"]?.string ?? "", below: completions).count >= completions }
        return succeeded >= completions
    }

    // MARK: conditions and pod facts

    static func isFinished(_ job: JSONValue) -> Bool {
        job[path: ["status", "conditions"]]?.array?.contains {
            ($0["type"]?.string == "Complete" || $0["type"]?.string == "Failed") && $0["status"]?.string == "True"
        } == true
    }

    func conditionObject(_ type: String) -> JSONValue? {
        status["conditions"]?.array?.first { $0["type"]?.string == type }
    }

    func condition(_ type: String) -> String? { conditionObject(type)?["status"]?.string }

    private mutating func setCondition(_ type: String, status value: String = "True", reason: String, message: String) {
        var conditions = status["conditions"]?.array ?? []
        let stamp = JSONValue.string(RFC3339.format(now))
        let entry: JSONValue = ["type": .string(type), "status": .string(value), "reason": .string(reason),
                                "message": .string(message), "lastProbeTime": stamp, "lastTransitionTime": stamp]
        if let i = conditions.firstIndex(where: { $0["type"]?.string == type }) {
            if conditions[i]["status"]?.string == value { return }
            conditions[i] = entry
        } else {
            conditions.append(entry)
        }
        status["conditions"] = .array(conditions)
    }

    static func isTerminal(_ pod: JSONValue) -> Bool {
        ["Succeeded", "Failed"].contains(pod[path: ["status", "phase"]]?.string ?? "")
    }

    static func index(_ pod: JSONValue) -> Int? {
        pod[path: ["metadata", "annotations", JobController.indexAnnotation]]?.string.flatMap { Int($0) }
    }

    static func restartCount(_ pod: JSONValue) -> Int {
        (pod[path: ["status", "containerStatuses"]]?.array ?? []).map { max(0, $0.goInt32(["restartCount"]) ?? 0) }.saturatedSum()
    }

    /// When the pod's last container finished, or (without container states) when it was created.
    static func finishedAt(_ pod: JSONValue) -> Double? {
        let finished = (pod[path: ["status", "containerStatuses"]]?.array ?? [])
            .compactMap { Workloads.seconds($0[path: ["state", "terminated", "finishedAt"]]?.string) }
        return finished.max() ?? Workloads.seconds(pod.metaCreationTimestamp)
    }
}
