import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// upstream's job controller: runs a Job's pods to `completions` successes with at most `parallelism` at once
/// (NonIndexed or Indexed), recreates failed ones with exponential backoff until `backoffLimit`, stops at
/// `activeDeadlineSeconds`, honours `suspend`, and ends with the conditions kubectl waits on (SuccessCriteriaMet and
/// Complete, or FailureTarget and Failed). Pods carry the job-tracking finalizer so none is counted twice or lost
/// when deleted early. podFailurePolicy, successPolicy and backoffLimitPerIndex are not implemented. Keyed by Job;
/// a pod's change queues its Job. Finished Jobs are the ttl-after-finished controller's.
struct JobController: Controller {
    static let component = "job-controller"
    static let trackingFinalizer = "batch.kubernetes.io/job-tracking"
    static let indexAnnotation = "batch.kubernetes.io/job-completion-index"
    /// Pods created or deleted per Job per sync (upstream's MaxPodCreateDeletePerSync).
    static let burst = 500

    let context: ControllerContext
    let jobs: ObjectStore
    let pods: ObjectStore
    let worker: QueueWorker
    let expectations: Expectations
    let observations: JobObservations

    init(context: ControllerContext) {
        self.context = context
        jobs = ObjectStore(.jobs, context: context)
        pods = ObjectStore(.pods, context: context)
        expectations = Expectations(clock: context.clock)
        observations = JobObservations(clock: context.clock)
        worker = QueueWorker(name: "job", workers: context.options.concurrentJobSyncs, clock: context.clock, logger: context.logger)
        pods.informer.addIndexer(Indexes.controllerUID, Indexes.byControllerUID)
        let queue = worker.queue, observations = self.observations
        jobs.informer.addEventHandler(.any { job in
            let key = ObjectCache.key(job)
            observations.observeJob(key, job)
            queue.add(key)
        })
        let owned = Workloads.controlledHandler(ownerKind: "Job", queue: queue, expectations: expectations) { key, pod in
            observations.observePod(key, pod)
        }
        // A deleted pod takes its finalizer with it.
        pods.informer.addEventHandler(EventHandler(onAdd: owned.onAdd, onUpdate: owned.onUpdate, onDelete: { pod in
            if let ref = Workloads.controllerRef(pod), ref["kind"]?.string == "Job", let name = ref["name"]?.string {
                observations.observePod(ObjectCache.key(namespace: pod.metaNamespace, name: name), pod, gone: true)
            }
            owned.onDelete(pod)
        }))
    }

    func run() async {
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ key: String) async throws {
        let job = jobs.cache.get(key)
        // A stray pod that cannot be let go of now is retried with the Job, after the Job's own work.
        let strayFailure = await releaseStrayPods(key, job: job)
        guard let job else {
            expectations.forget(key)
            observations.forget(key)
            if let strayFailure { throw strayFailure }
            return
        }
        try await Workloads.skippingUndecodable(Self.component, key, logger: context.logger) {
            let typed: Typed<Job> = try Workloads.typed(job)
            guard typed.object.finishedCondition == nil, job.metaDeletionTimestamp == nil else { return }
            // Until the caches show this controller's own last writes, counting would be wrong: their events queue
            // the Job again, and the wake-up covers an event that never comes (both give up after a while).
            if let wait = observations.pending(key) {
                worker.queue.add(key, after: Workloads.wakeDelay(wait))
            } else if !expectations.satisfied(key) {
                worker.queue.add(key, after: 300)
            } else {
                var sync = JobSync(job: typed, key: key, pods: try WorkloadPod.all(pods.cache.byIndex(Indexes.controllerUID, job.metaUID)),
                                   controller: self, now: context.clock.now())
                if let wake = try await sync.run() {
                    worker.queue.add(key, after: Workloads.wakeDelay(wake))
                }
            }
        }
        if let strayFailure { throw strayFailure }
    }

    /// Pods of a Job that is gone (or was replaced by one of the same name) keep no tracking finalizer: nothing
    /// would ever let them go. The first failure, if any.
    private func releaseStrayPods(_ key: String, job: JSONValue?) async -> (any Error)? {
        let (namespace, name) = Self.split(key)
        let stray = pods.list(namespace: namespace).filter { pod in
            guard pod.metaFinalizers.contains(Self.trackingFinalizer), let ref = Workloads.controllerRef(pod),
                  ref["kind"]?.string == "Job", ref["name"]?.string == name else { return false }
            return ref["uid"]?.string != job?.metaUID
        }
        var failure: (any Error)?
        for pod in stray {
            do {
                try await removeTrackingFinalizer(pod, key: key)
            } catch {
                failure = failure ?? error
            }
        }
        return failure
    }

    /// Lets go of the pod's tracking finalizer (a pod that is gone has none).
    func removeTrackingFinalizer(_ pod: JSONValue, key: String) async throws {
        observations.removingFinalizer(key, uid: pod.metaUID)
        do {
            let written = try await context.client.retryUpdate(.pods, namespace: pod.metaNamespace, name: pod.metaName) { current in
                guard current.metaUID == pod.metaUID, current.metaFinalizers.contains(Self.trackingFinalizer) else { return nil }
                var p = current
                let rest = p.metaFinalizers.filter { $0 != Self.trackingFinalizer }
                p.setMeta("finalizers", rest.isEmpty ? nil : .array(rest.map { .string($0) }))
                return p
            }
            if written == nil { observations.removalAbandoned(key, uid: pod.metaUID) }
        } catch let error as APIError where error.isNotFound {
            observations.removalAbandoned(key, uid: pod.metaUID)
        } catch {
            observations.removalAbandoned(key, uid: pod.metaUID)
            throw error
        }
    }

    static func split(_ key: String) -> (namespace: String, name: String) {
        guard let slash = key.firstIndex(of: "/") else { return ("", key) }
        return (String(key[..<slash]), String(key[key.index(after: slash)...]))
    }
}
