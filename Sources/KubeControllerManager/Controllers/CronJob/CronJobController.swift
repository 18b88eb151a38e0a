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
        if let wake = try await sync(cronJob, owned: owned, now: now) {
            worker.queue.add(key, after: Workloads.wakeDelay(wake))
        }
    }

    /// The seconds until the next scheduled run, if any.
    func sync(_ cronJob: JSONValue, owned: [JSONValue], now: Date) async throws -> Double? {
        let recorder = context.recorder
        let spec = cronJob["spec"] ?? .emptyObject
        var status = cronJob["status"]?.object ?? [:]
        let wasActive = Set(status["active"]?.array?.compactMap { $0["uid"]?.string } ?? [])

        // Jobs that finished since the last sync leave `active`; successful ones move lastSuccessfulTime.
        var active: [JSONValue] = []
        for job in owned {
            if let finished = Self.finishedCondition(job) {
                if wasActive.contains(job.metaUID) {
                    recorder.event(cronJob, reason: "SawCompletedJob", message: "Saw completed job: \(job.metaName), condition: \(finished)")
                }
                if finished == "Complete", let done = job[path: ["status", "completionTime"]]?.string,
                   Workloads.seconds(status["lastSuccessfulTime"]?.string) ?? 0 < Workloads.seconds(done) ?? 0 {
                    status["lastSuccessfulTime"] = .string(done)
                }
            } else if job.metaDeletionTimestamp == nil, wasActive.contains(job.metaUID) {
                // Only the Jobs it started count as active (a `kubectl create job --from=cronjob/…` run does not),
                // as upstream: they are what concurrencyPolicy weighs.
                active.append(job)
            }
        }
        var failure = await trimHistory(cronJob, owned: owned)

        var wake: Double?
        let schedule: CronSchedule?
        do {
            schedule = try CronSchedule(spec["schedule"]?.string ?? "")
        } catch {
            context.logger.warning("\(Self.component): \(cronJob.metaNamespace)/\(cronJob.metaName): unparseable schedule: \(error); skipped")
            schedule = nil
        }
        if spec["suspend"]?.bool != true, let schedule {
            let zone = spec["timeZone"]?.string.flatMap(TimeZone.init(identifier:)) ?? TimeZone.current
            let lastText = status["lastScheduleTime"]?.string ?? cronJob.metaCreationTimestamp
            let earliest = Date(timeIntervalSince1970: Workloads.seconds(lastText) ?? now.timeIntervalSince1970)
            if let scheduled = schedule.mostRecent(atOrBefore: now, after: earliest, in: zone) {
                let deadline = spec.goInt64(["startingDeadlineSeconds"])
                let policy = spec["concurrencyPolicy"]?.string ?? "Allow"
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
                        active.append(try await createJob(cronJob, scheduled: scheduled, zone: zone))
                        status["lastScheduleTime"] = .string(RFC3339.format(scheduled.timeIntervalSince1970))
                    } catch {
                        failure = failure ?? error
                    }
                }
            }
            let start = Date(timeIntervalSince1970: Workloads.seconds(status["lastScheduleTime"]?.string ?? lastText) ?? now.timeIntervalSince1970)
            if let next = schedule.next(after: now, in: zone, since: start) { wake = max(0.05, next.timeIntervalSince(now)) }
            // A Forbid run waiting for its Job is looked at again by the Job's changes.
        }
        let refs: [JSONValue] = active.map { job in
            ["apiVersion": "batch/v1", "kind": "Job", "name": .string(job.metaName), "namespace": .string(job.metaNamespace),
             "uid": .string(job.metaUID), "resourceVersion": .string(job.metaResourceVersion)]
        }
        status["active"] = refs.isEmpty ? nil : .array(refs)
        try await cronJobs.updateStatus(cronJob, .object(status))
        if let failure { throw failure }
        return wake
    }
}
