import KubeAPI
import KubeJSON
import Logging

/// upstream's job controller, in process: runs a Job's pods to `completions` successes with at most `parallelism` at
/// once (NonIndexed or Indexed), recreates failed ones with exponential backoff until `backoffLimit`, stops at
/// `activeDeadlineSeconds`, honours `suspend`, and ends with the conditions kubectl waits on (SuccessCriteriaMet and
/// Complete, or FailureTarget and Failed). Pods carry the job-tracking finalizer so none is counted twice or lost
/// when deleted early. Finished Jobs with `ttlSecondsAfterFinished` are deleted when it runs out (upstream's
/// ttl-after-finished controller). podFailurePolicy, successPolicy and backoffLimitPerIndex are not implemented.
actor JobController: InProcessController {
    static let component = "job-controller"
    static let trackingFinalizer = "batch.kubernetes.io/job-tracking"
    static let indexAnnotation = "batch.kubernetes.io/job-completion-index"
    private let logger: Logger
    private var task: Task<Void, Never>?
    private let backoff = RetryBackoff()

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        let logger = self.logger, backoff = self.backoff
        task = Task {
            await Workloads.run(server: server, prefixes: ["/registry/jobs/", "/registry/pods/"], logger: logger) { () async -> Double? in
                await Self.syncAll(server: server, logger: logger, backoff: backoff)
            }
        }
    }

    func stop() async {
        let running = task
        task = nil
        running?.cancel()
        await running?.value
    }

    /// One pass over every Job; the seconds until a Job next needs attention (a backoff, deadline or TTL), if any.
    static func syncAll(server: APIServer, logger: Logger, backoff: RetryBackoff = RetryBackoff()) async -> Double? {
        guard let jobStore = server.store("batch", "v1", "jobs"), let podStore = server.store("", "v1", "pods"),
              let jobs = try? await jobStore.list(namespace: "", options: ListOptions()).items else { return nil }
        backoff.keep(only: jobs)
        guard let pods = try? await podStore.list(namespace: "", options: ListOptions()).items else { return nil }
        var byJob: [String: [JSONValue]] = [:]
        for pod in pods { if let uid = Workloads.controllerUID(pod) { byJob[uid, default: []].append(pod) } }
        var wake: Double?
        var live = Set<String>()
        for job in jobs {
            live.insert(job.metaUID)
            var sync = JobSync(job: job, pods: byJob[job.metaUID] ?? [], jobStore: jobStore, podStore: podStore,
                               events: ControllerEvents(server: server, component: component), logger: logger)
            let next = await Workloads.reconcile(job, component: component, backoff: backoff, logger: logger) { try await sync.run() }
            if let next { wake = min(wake ?? next, next) }
        }
        // Pods whose Job is gone keep no tracking finalizer (they would never be deleted).
        for pod in pods where pod.metaFinalizers.contains(trackingFinalizer) {
            guard let owner = Workloads.controllerUID(pod), !live.contains(owner) else { continue }
            _ = await removeTrackingFinalizer(pod, store: podStore)
        }
        return wake
    }

    /// true when the pod no longer carries the finalizer (or is gone).
    static func removeTrackingFinalizer(_ pod: JSONValue, store: GenericStore) async -> Bool {
        do {
            _ = try await store.guaranteedUpdate(namespace: pod.metaNamespace, name: pod.metaName, context: Workloads.context(component)) { current in
                guard var p = current, p.metaUID == pod.metaUID else { throw StatusError.notFound(store.groupResource, pod.metaName) }
                p.setMeta("finalizers", p.metaFinalizers.filter { $0 != trackingFinalizer }.isEmpty ? nil
                          : .array(p.metaFinalizers.filter { $0 != trackingFinalizer }.map { .string($0) }))
                return p
            }
            return true
        } catch let error as StatusError where error.code == 404 {
            return true
        } catch {
            return false
        }
    }
}

/// One Job's reconciliation, as upstream's syncJob: count finished pods, decide success or failure, else create or
/// delete pods to reach the wanted number of active ones.
struct JobSync {
    /// The Job as last read or written.
    private(set) var job: JSONValue
    let pods: [JSONValue]
    let jobStore: GenericStore
    let podStore: GenericStore
    let events: ControllerEvents
    let logger: Logger
    private let now = Timestamp.now()
    private var status: JSONValue

    init(job: JSONValue, pods: [JSONValue], jobStore: GenericStore, podStore: GenericStore, events: ControllerEvents, logger: Logger) {
        self.job = job
        self.pods = pods
        self.jobStore = jobStore
        self.podStore = podStore
        self.events = events
        self.logger = logger
        self.status = job["status"] ?? .emptyObject
    }

    private var spec: JSONValue { job["spec"] ?? .emptyObject }
    // int32 fields, clamped and non-negative (see goInt32), so the arithmetic below cannot overflow.
    private var completions: Int? { spec.goInt32(["completions"]).map { max(0, $0) } }
    private var parallelism: Int { max(0, spec.goInt32(["parallelism"]) ?? 1) }
    private func counter(_ name: String) -> Int { max(0, status.goInt32([name]) ?? 0) }
    /// The first pod creation this pass that failed: the Job is retried with backoff after the pass.
    private var creationFailure: (any Error)?
    private var indexed: Bool { spec["completionMode"]?.string == "Indexed" }
    private var suspended: Bool { spec["suspend"]?.bool == true }

    mutating func run() async throws -> Double? {
        if isFinished { return await expireIfDone() }
        guard job.metaDeletionTimestamp == nil else { return nil }
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
            if status["startTime"] == nil { status["startTime"] = .string(Timestamp.format(now)) }
            wake = await reconcile(active: active, terminating: terminating)
        }
        status["active"] = Workloads.int32(max(0, pods.filter(Workloads.isActive).count - deletedCount + createdCount))
        status["ready"] = Workloads.int32(pods.filter { Workloads.isActive($0) && Workloads.isReady($0) }.count)
        status["terminating"] = Workloads.int32(terminating.count + deletedCount)
        if status["active"] == .int(0) { status["active"] = nil }
        status["observedGeneration"] = nil
        try await Workloads.updateStatus(job, status, store: jobStore, component: JobController.component)
        if let creationFailure { throw creationFailure }
        if isFinished { return await expireIfDone() }
        return wake
    }

    // MARK: finished pods

    /// Moves pods that finished into the counters through uncountedTerminatedPods, then lets go of their finalizer,
    /// so that a crash between the two steps neither loses nor double-counts a pod.
    /// false when the Job changed under this pass (which the next pass picks up).
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
        if !newlyFinished.isEmpty {
            if job["status"] != status {
                guard let written = try await Workloads.updateStatus(job, status, store: jobStore, component: JobController.component) else {
                    return false
                }
                job = written
            }
        }
        var released = Set<String>()
        for pod in newlyFinished {
            if await JobController.removeTrackingFinalizer(pod, store: podStore) { released.insert(pod.metaUID) }
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

    /// Pods this pass deleted and created, which its pod list does not show yet.
    private var deletedCount = 0
    private var createdCount = 0

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
                      let start = status["startTime"]?.string.flatMap(Timestamp.parse) {
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
                await events.record(job, type: "Warning", reason: target["reason"]?.string ?? "Failed", message: target["message"]?.string ?? "")
            }
            return nil
        }
        if condition("SuccessCriteriaMet") == "True" {
            await deletePods(active)
            if active.isEmpty && terminating.isEmpty {
                setCondition("Complete", reason: "CompletionsReached", message: "Reached expected number of succeeded pods")
                status["completionTime"] = .string(Timestamp.format(now))
                await events.record(job, reason: "Completed", message: "Job completed")
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
                for _ in 0..<min(wanted - active.count, ReplicaSetController.burst) {
                    guard await create(index: nil) else { break }
                }
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

    private mutating func createIndexed(active: [JSONValue]) async {
        let limit = completions ?? 0
        let completed = CompletedIndexes(status["completedIndexes"]?.string ?? "", below: limit)
        let running = Set(active.compactMap(Self.index))
        // The first free indexes: a run of completed ones is skipped in one step, so a pass takes steps for the pods it
        // creates, the running ones and the intervals, never for each of up to two billion completed indexes.
        var wanted = min(max(0, parallelism - active.count), ReplicaSetController.burst)
        var index = 0
        while wanted > 0 {
            index = completed.firstMissing(from: index)
            guard index < limit else { break }
            if !running.contains(index) {
                guard await create(index: index) else { break }
                wanted -= 1
            }
            index += 1
        }
    }

    /// false when creating failed (the rest of this pass's creations are skipped, as upstream's batches).
    private mutating func create(index: Int?) async -> Bool {
        var pod = Workloads.pod(from: spec["template"] ?? .emptyObject, owner: job,
                                namePrefix: index.map { "\(job.metaName)-\($0)" } ?? job.metaName,
                                extraLabels: index.map { [JobController.indexAnnotation: String($0)] } ?? [:])
        pod.setMeta("finalizers", [.string(JobController.trackingFinalizer)])
        if let index {
            var annotations = pod[path: ["metadata", "annotations"]]?.object ?? [:]
            annotations[JobController.indexAnnotation] = .string(String(index))
            pod[path: ["metadata", "annotations"]] = .object(annotations)
            if pod[path: ["spec", "hostname"]] == nil { pod[path: ["spec", "hostname"]] = .string("\(job.metaName)-\(index)") }
            for list in ["initContainers", "containers"] {
                guard let containers = pod[path: ["spec", list]]?.array else { continue }
                pod[path: ["spec", list]] = .array(containers.map { container in
                    var c = container
                    var env = c["env"]?.array ?? []
                    env.append(["name": "JOB_COMPLETION_INDEX", "valueFrom": ["fieldRef": [
                        "apiVersion": "v1", "fieldPath": .string("metadata.annotations['\(JobController.indexAnnotation)']")]]])
                    c["env"] = .array(env)
                    return c
                })
            }
        }
        do {
            let created = try await podStore.create(namespace: job.metaNamespace, object: pod, context: Workloads.context(JobController.component))
            createdCount += 1
            await events.record(job, reason: "SuccessfulCreate", message: "Created pod: \(created.metaName)")
            return true
        } catch {
            await events.record(job, type: "Warning", reason: "FailedCreate", message: "Error creating: \((error as? StatusError)?.message ?? "\(error)")")
            creationFailure = creationFailure ?? error
            return false
        }
    }

    private mutating func deletePods(_ victims: [JSONValue]) async {
        for pod in victims where pod.metaDeletionTimestamp == nil {
            var options = DeleteOptions()
            options.preconditionUID = pod.metaUID
            if (try? await podStore.delete(namespace: pod.metaNamespace, name: pod.metaName, options: options,
                                           context: Workloads.context(JobController.component))) != nil {
                deletedCount += 1
                await events.record(job, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.metaName)")
            }
        }
    }

    // MARK: finished Jobs

    private var isFinished: Bool { condition("Complete") == "True" || condition("Failed") == "True" }

    /// upstream's ttl-after-finished controller: deletes the Job (its pods follow through the garbage collector).
    private func expireIfDone() async -> Double? {
        guard let ttl = spec.goInt32(["ttlSecondsAfterFinished"]), job.metaDeletionTimestamp == nil else { return nil }
        let finishedText = status["completionTime"]?.string ?? conditionObject("Failed")?["lastTransitionTime"]?.string
        guard let finished = finishedText.flatMap(Timestamp.parse) else { return nil }
        let expires = finished + Double(ttl)
        if now < expires { return expires - now }
        var options = DeleteOptions()
        options.preconditionUID = job.metaUID
        options.propagationPolicy = "Background"
        if (try? await jobStore.delete(namespace: job.metaNamespace, name: job.metaName, options: options,
                                       context: Workloads.context("ttl-after-finished-controller"))) != nil {
            logger.info("ttl-after-finished-controller: deleted job \(job.metaNamespace)/\(job.metaName), finished \(ttl)s ago")
        }
        return nil
    }

    // MARK: conditions and pod facts

    private func conditionObject(_ type: String) -> JSONValue? {
        status["conditions"]?.array?.first { $0["type"]?.string == type }
    }

    private func condition(_ type: String) -> String? { conditionObject(type)?["status"]?.string }

    private mutating func setCondition(_ type: String, status value: String = "True", reason: String, message: String) {
        var conditions = status["conditions"]?.array ?? []
        let stamp = JSONValue.string(Timestamp.format(now))
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
            .compactMap { $0[path: ["state", "terminated", "finishedAt"]]?.string.flatMap(Timestamp.parse) }
        return finished.max() ?? pod.metaCreationTimestamp.flatMap(Timestamp.parse)
    }
}
