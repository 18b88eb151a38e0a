import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// One Job's reconciliation, as upstream's syncJob: count finished pods, decide success or failure, else create or
/// delete pods to reach the wanted number of active ones. Runs only with the caches caught up with the controller's
/// own writes (see JobObservations and Expectations).
struct JobSync {
    /// The Job as last read or written.
    private(set) var typed: Typed<Job>
    let key: String
    let pods: [WorkloadPod]
    let controller: JobController
    let now: Double
    /// The status this sync computes, written over `typed`'s.
    private(set) var status: JobStatus

    init(job: Typed<Job>, key: String, pods: [WorkloadPod], controller: JobController, now: Double) {
        typed = job
        self.key = key
        self.pods = pods
        self.controller = controller
        self.now = now
        status = job.object.status
    }

    var job: JSONValue { typed.json }
    var spec: JobSpec { typed.object.spec }
    // int32 fields (read clamped) kept non-negative, so the arithmetic below cannot overflow.
    var completions: Int? { spec.completions.map { max(0, Int($0)) } }
    var parallelism: Int { max(0, Int(spec.parallelism ?? 1)) }
    private var succeededCount: Int { max(0, Int(status.succeeded)) }
    private var failedCount: Int { max(0, Int(status.failed)) }
    /// The first write this sync that failed (a pod creation, a finalizer): the Job is retried with backoff after
    /// the rest of the sync, status included.
    var failure: (any Error)?
    private var indexed: Bool { spec.completionMode == "Indexed" }
    private var suspended: Bool { spec.suspend == true }
    var recorder: EventRecorder { controller.context.recorder }

    /// The seconds until the Job next needs attention (a backoff or deadline), if any.
    mutating func run() async throws -> Double? {
        guard try await trackFinishedPods() else { return nil }
        var wake: Double?
        let active = pods.filter(\.isActive)
        let terminating = pods.filter { $0.isTerminating && !$0.status.isTerminal }
        if suspended {
            await deletePods(active)
            setCondition("Suspended", reason: "JobSuspended", message: "Job suspended")
            status.startTime = nil
        } else {
            if condition("Suspended") == "True" {
                setCondition("Suspended", status: "False", reason: "JobResumed", message: "Job resumed")
                status.startTime = nil
            }
            if status.startTime == nil { status.startTime = RFC3339.format(now) }
            wake = await reconcile(active: active, terminating: terminating)
        }
        status.active = Workloads.int32(max(0, active.count - deletedCount + createdCount))
        status.ready = Workloads.int32(active.filter(\.isReady).count)
        status.terminating = Workloads.int32(terminating.count + deletedCount)
        _ = try await writeStatus()
        if let failure { throw failure }
        return wake
    }

    /// The status written over the version it was computed from; nil when nothing was (unchanged, or a lost race
    /// that the Job's next event brings another sync for).
    private mutating func writeStatus() async throws -> JSONValue? {
        let status = self.status
        guard let written = try await controller.jobs.updateStatus(typed, { $0.status = status }) else { return nil }
        controller.observations.wroteStatus(key, written)
        typed = try Workloads.typed(written)
        return written
    }

    // MARK: finished pods

    /// Moves pods that finished into the counters through uncountedTerminatedPods, then lets go of their finalizer,
    /// so that a crash between the two steps neither loses nor double-counts a pod.
    /// false when the Job changed under this sync (its event brings the next).
    private mutating func trackFinishedPods() async throws -> Bool {
        var uncountedSucceeded = Set(status.uncountedTerminatedPods?.succeeded ?? [])
        var uncountedFailed = Set(status.uncountedTerminatedPods?.failed ?? [])
        var newlyFinished: [WorkloadPod] = []
        for pod in pods where pod.json.metaFinalizers.contains(JobController.trackingFinalizer) {
            let phase = pod.status.phase
            if phase == "Succeeded" {
                uncountedSucceeded.insert(pod.uid)
            } else if phase == "Failed" || pod.isTerminating {
                // Pods stopped because the Job was suspended do not count as failures.
                if !suspended { uncountedFailed.insert(pod.uid) }
            } else {
                continue
            }
            newlyFinished.append(pod)
        }
        setUncounted(uncountedSucceeded, uncountedFailed)
        if !newlyFinished.isEmpty, typed.object.status != status {
            guard try await writeStatus() != nil else { return false }
        }
        var released = Set<String>()
        for pod in newlyFinished {
            do {
                try await controller.removeTrackingFinalizer(pod.json, key: key)
                released.insert(pod.uid)
            } catch {
                failure = failure ?? error
            }
        }
        let stillTracked = Set(pods.filter { $0.json.metaFinalizers.contains(JobController.trackingFinalizer) }.map(\.uid)).subtracting(released)
        let succeeded = uncountedSucceeded.subtracting(stillTracked)
        let failed = uncountedFailed.subtracting(stillTracked)
        status.succeeded = Workloads.int32(succeededCount + succeeded.count)
        status.failed = Workloads.int32(failedCount + failed.count)
        if indexed {
            let done = pods.filter { succeeded.contains($0.uid) }.compactMap(Self.index)
            let indexes = CompletedIndexes(status.completedIndexes, below: completions ?? 0).adding(done, below: completions ?? 0)
            status.completedIndexes = indexes.description
        }
        setUncounted(uncountedSucceeded.subtracting(succeeded), uncountedFailed.subtracting(failed))
        return true
    }

    private mutating func setUncounted(_ succeeded: Set<String>, _ failed: Set<String>) {
        status.uncountedTerminatedPods = UncountedTerminatedPods(succeeded: succeeded.sorted(), failed: failed.sorted())
    }

    // MARK: success, failure, pods

    /// Pods this sync deleted and created, which its pod list does not show yet.
    var deletedCount = 0
    var createdCount = 0

    private mutating func reconcile(active: [WorkloadPod], terminating: [WorkloadPod]) async -> Double? {
        let succeeded = succeededCount
        let failed = failedCount
        let restarts = spec.template?[path: ["spec", "restartPolicy"]]?.string == "OnFailure"
            ? active.map(Self.restartCount).saturatedSum() : 0
        let backoffLimit = max(0, Int(spec.backoffLimit ?? 6))
        var wake: Double?

        if condition("FailureTarget") != "True", condition("SuccessCriteriaMet") != "True" {
            if failed.addingSaturated(restarts) > backoffLimit {
                setCondition("FailureTarget", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit")
            } else if let deadline = spec.activeDeadlineSeconds, let start = Workloads.seconds(status.startTime) {
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
            if active.isEmpty && terminating.isEmpty, let target = status.condition("FailureTarget") {
                setCondition("Failed", reason: target.reason ?? "", message: target.message ?? "")
                recorder.event(job, type: "Warning", reason: target.reason ?? "Failed", message: target.message ?? "")
            }
            return nil
        }
        if condition("SuccessCriteriaMet") == "True" {
            await deletePods(active)
            if active.isEmpty && terminating.isEmpty {
                setCondition("Complete", reason: "CompletionsReached", message: "Reached expected number of succeeded pods")
                status.completionTime = RFC3339.format(now)
                recorder.event(job, reason: "Completed", message: "Job completed")
            }
            return nil
        }

        // Recreating after failures waits 10 s, doubling per failure up to 10 min, from the last failure.
        if failed > 0, let lastFailure = pods.filter({ $0.status.phase == "Failed" }).compactMap(Self.finishedAt).max() {
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
                let victims = active.sorted { ($0.json.metaCreationTimestamp ?? "") > ($1.json.metaCreationTimestamp ?? "") }.prefix(active.count - wanted)
                await deletePods(Array(victims))
            }
        }
        return wake
    }

    private func isSuccessful(succeeded: Int, active: Int) -> Bool {
        guard let completions else { return succeeded > 0 && active == 0 }
        if indexed { return CompletedIndexes(status.completedIndexes, below: completions).count >= completions }
        return succeeded >= completions
    }

    // MARK: conditions and pod facts

    func condition(_ type: String) -> String? { status.condition(type)?.status }

    private mutating func setCondition(_ type: String, status value: String = "True", reason: String, message: String) {
        var conditions = status.conditions ?? []
        let stamp = RFC3339.format(now)
        let entry = JobCondition(type: type, status: value, reason: reason, message: message, lastProbeTime: stamp, lastTransitionTime: stamp)
        if let i = conditions.firstIndex(where: { $0.type == type }) {
            if conditions[i].status == value { return }
            conditions[i] = entry
        } else {
            conditions.append(entry)
        }
        status.conditions = conditions
    }

    static func index(_ pod: WorkloadPod) -> Int? {
        pod.annotations[JobController.indexAnnotation].flatMap { Int($0) }
    }

    static func restartCount(_ pod: WorkloadPod) -> Int {
        (pod.status.containerStatuses ?? []).map { max(0, Int($0.restartCount)) }.saturatedSum()
    }

    /// When the pod's last container finished, or (without container states) when it was created.
    static func finishedAt(_ pod: WorkloadPod) -> Double? {
        let finished = (pod.status.containerStatuses ?? []).compactMap { Workloads.seconds($0.state?.terminated?.finishedAt) }
        return finished.max() ?? Workloads.seconds(pod.json.metaCreationTimestamp)
    }
}
