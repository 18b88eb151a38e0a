import ControllerRuntime
import Foundation
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// upstream's cronjob controller (v2): at each scheduled time (in `spec.timeZone`, else this process's local zone)
/// creates the Job `<cronjob>-<minutes since the epoch>` from the job template, honours `suspend`,
/// `startingDeadlineSeconds` and `concurrencyPolicy`, keeps `status.active`, `lastScheduleTime` and
/// `lastSuccessfulTime`, and deletes finished Jobs beyond the history limits. Keyed by CronJob; a Job's change
/// queues its CronJob, and each CronJob is queued again for its next scheduled time.
struct CronJobController: Controller {
    static let component = "cronjob-controller"
    static let scheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"

    let context: ControllerContext
    let cronJobs: ObjectStore
    let jobs: ObjectStore
    let worker: QueueWorker

    init(context: ControllerContext) {
        self.context = context
        cronJobs = ObjectStore(.cronJobs, context: context)
        jobs = ObjectStore(.jobs, context: context)
        worker = QueueWorker(name: "cronjob", workers: context.options.concurrentCronJobSyncs, clock: context.clock, logger: context.logger)
        jobs.informer.addIndexer(Indexes.controllerUID, Indexes.byControllerUID)
        cronJobs.informer.addEventHandler(Workloads.primaryHandler(queue: worker.queue))
        jobs.informer.addEventHandler(Workloads.controlledHandler(ownerKind: "CronJob", queue: worker.queue))
    }

    func run() async {
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ key: String) async throws {
        guard let cronJob = cronJobs.cache.get(key), cronJob.metaDeletionTimestamp == nil else { return }
        let owned = jobs.cache.byIndex(Indexes.controllerUID, cronJob.metaUID)
        let now = Date(timeIntervalSince1970: context.clock.now())
        try await Workloads.skippingUndecodable(Self.component, key, logger: context.logger) {
            if let wake = try await sync(try Workloads.typed(cronJob), owned: try owned.map { try Workloads.typed($0) }, now: now) {
                worker.queue.add(key, after: Workloads.wakeDelay(wake))
            }
        }
    }

    /// The seconds until the next scheduled run, if any.
    func sync(_ typed: Typed<CronJob>, owned: [Typed<Job>], now: Date) async throws -> Double? {
        let recorder = context.recorder
        let cronJob = typed.json, spec = typed.object.spec
        var status = typed.object.status
        let wasActive = Set(status.active.map(\.uid))

        // Jobs that finished since the last sync leave `active`; successful ones move lastSuccessfulTime.
        var active: [JSONValue] = []
        for typedJob in owned {
            let job = typedJob.json
            if let finished = typedJob.object.finishedCondition {
                if wasActive.contains(job.metaUID) {
                    recorder.event(cronJob, reason: "SawCompletedJob", message: "Saw completed job: \(job.metaName), condition: \(finished)")
                }
                if finished == "Complete", let done = typedJob.object.status.completionTime,
                   Workloads.seconds(status.lastSuccessfulTime) ?? 0 < Workloads.seconds(done) ?? 0 {
                    status.lastSuccessfulTime = done
                }
            } else if job.metaDeletionTimestamp == nil, wasActive.contains(job.metaUID) {
                // Only the Jobs it started count as active (a `kubectl create job --from=cronjob/…` run does not),
                // as upstream: they are what concurrencyPolicy weighs.
                active.append(job)
            }
        }
        var failure = await trimHistory(typed, owned: owned)

        var wake: Double?
        let schedule: CronSchedule?
        do {
            schedule = try CronSchedule(spec.schedule)
        } catch {
            context.logger.warning("\(Self.component): \(cronJob.metaNamespace)/\(cronJob.metaName): unparseable schedule: \(error); skipped")
            schedule = nil
        }
        if spec.suspend != true, let schedule {
            let zone = spec.timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone.current
            let lastText = status.lastScheduleTime ?? cronJob.metaCreationTimestamp
            let earliest = Date(timeIntervalSince1970: Workloads.seconds(lastText) ?? now.timeIntervalSince1970)
            if let scheduled = schedule.mostRecent(atOrBefore: now, after: earliest, in: zone) {
                let deadline = spec.startingDeadlineSeconds
                let policy = spec.concurrencyPolicy.isEmpty ? "Allow" : spec.concurrencyPolicy
                if let deadline, now.timeIntervalSince(scheduled) > Double(deadline) {
                    recorder.event(cronJob, type: "Warning", reason: "MissSchedule",
                                   message: "Missed scheduled time to start a job: \(Self.format(scheduled, in: zone))")
                } else if policy == "Forbid", !active.isEmpty {
                    // The run waits for the active Job (and is dropped once past the starting deadline).
                    context.logger.debug("\(Self.component): \(cronJob.metaNamespace)/\(cronJob.metaName) not starting a job: one is active and concurrencyPolicy is Forbid")
                } else {
                    if policy == "Replace" {
                        for job in active {
                            do {
                                try await jobs.delete(namespace: job.metaNamespace, name: job.metaName,
                                                      options: Workloads.deleteOptions(job, propagation: "Background"))
                                recorder.event(cronJob, reason: "SuccessfulDelete", message: "Deleted job \(job.metaName)")
                            } catch let error as APIError where error.isNotFound {
                            } catch {
                                failure = failure ?? error
                            }
                        }
                        active = []
                    }
                    do {
                        active.append(try await createJob(typed, scheduled: scheduled, zone: zone))
                        status.lastScheduleTime = RFC3339.format(scheduled.timeIntervalSince1970)
                    } catch {
                        failure = failure ?? error
                    }
                }
            }
            let start = Date(timeIntervalSince1970: Workloads.seconds(status.lastScheduleTime ?? lastText) ?? now.timeIntervalSince1970)
            if let next = schedule.next(after: now, in: zone, since: start) { wake = max(0.05, next.timeIntervalSince(now)) }
            // A Forbid run waiting for its Job is looked at again by the Job's changes.
        }
        status.active = active.map { job in
            ObjectReference(apiVersion: "batch/v1", kind: "Job", namespace: job.metaNamespace, name: job.metaName, uid: job.metaUID,
                            resourceVersion: job.metaResourceVersion)
        }
        let written = status
        try await cronJobs.updateStatus(typed) { $0.status = written }
        if let failure { throw failure }
        return wake
    }
}
