import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// upstream's ttl-after-finished controller: a finished Job (Complete or Failed) with `ttlSecondsAfterFinished` is
/// deleted that many seconds after it finished, its pods following through the garbage collector (propagation
/// Background). Keyed by Job; a Job not yet due is queued again for when it is.
struct TTLAfterFinishedController: Controller {
    static let component = "ttl-after-finished-controller"
    /// upstream's --concurrent-ttl-after-finished-syncs default.
    static let workers = 5

    let context: ControllerContext
    let jobs: ObjectStore
    let worker: QueueWorker

    init(context: ControllerContext) {
        self.context = context
        jobs = ObjectStore(.jobs, context: context)
        worker = QueueWorker(name: "ttl_jobs_to_delete", workers: Self.workers, clock: context.clock, logger: context.logger)
        let queue = worker.queue
        let handle: @Sendable (JSONValue) -> Void = { job in
            if Self.needsCleanup(job) { queue.add(ObjectCache.key(job)) }
        }
        jobs.informer.addEventHandler(EventHandler(onAdd: handle, onUpdate: { _, new in handle(new) }))
    }

    func run() async {
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ key: String) async throws {
        try await Workloads.skippingUndecodable(Self.component, key, logger: context.logger) {
            guard let json = jobs.cache.get(key) else { return }
            let cached = try Workloads.typed(json, as: Job.self)
            guard Self.needsCleanup(cached) else { return }
            guard let left = Self.timeLeft(cached.object, now: context.clock.now()) else {
                context.logger.warning("\(Self.component): job \(key) finished at no readable time; skipped")
                return
            }
            if left > 0 {
                worker.queue.add(key, after: Workloads.wakeDelay(left))
                return
            }
            // The cache may be behind a change that lengthened the TTL or restarted the Job: the latest decides.
            let latest: Typed<Job>
            do {
                latest = try Workloads.typed(try await jobs.client.get(.jobs, namespace: json.metaNamespace, name: json.metaName))
            } catch let error as APIError where error.isNotFound {
                return
            }
            guard Self.needsCleanup(latest), let stillLeft = Self.timeLeft(latest.object, now: context.clock.now()) else { return }
            if stillLeft > 0 {
                worker.queue.add(key, after: Workloads.wakeDelay(stillLeft))
                return
            }
            do {
                try await jobs.delete(namespace: latest.json.metaNamespace, name: latest.json.metaName,
                                      options: Workloads.deleteOptions(latest.json, propagation: "Background"))
                context.logger.info("\(Self.component): deleted job \(key), finished \(latest.object.spec.ttlSecondsAfterFinished ?? 0)s ago")
            } catch let error as APIError where error.isNotFound || error.code == 409 {
                // Gone already, or replaced by a Job of the same name (whose own events bring it here).
            }
        }
    }

    /// A finished Job with a TTL that is not being deleted. (The handler reads the JSON: a Job that does not
    /// decode is queued, and its sync says why it is skipped.)
    static func needsCleanup(_ job: JSONValue) -> Bool {
        guard let typed = try? Typed<Job>(job) else { return job.metaDeletionTimestamp == nil }
        return needsCleanup(typed)
    }

    static func needsCleanup(_ job: Typed<Job>) -> Bool {
        job.json.metaDeletionTimestamp == nil && job.object.spec.ttlSecondsAfterFinished != nil && job.object.finishedCondition != nil
    }

    /// Seconds until the Job expires (zero or less: it has); nil when its finish time cannot be read (the Job is
    /// skipped, as upstream skips a Job without a finish time).
    static func timeLeft(_ job: Job, now: Double) -> Double? {
        guard let ttl = job.spec.ttlSecondsAfterFinished else { return nil }
        let failed = job.status.conditions?.first { $0.type == "Failed" && $0.status == "True" }
        guard let finished = Workloads.seconds(job.status.completionTime ?? failed?.lastTransitionTime) else { return nil }
        return finished + Double(ttl) - now
    }
}
