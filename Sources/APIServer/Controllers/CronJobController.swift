import Foundation
import KubeAPI
import KubeJSON
import Logging

/// upstream's cronjob controller (v2), in process: at each scheduled time (in `spec.timeZone`, else this server's
/// local zone, as kube-controller-manager's) creates the Job `<cronjob>-<minutes since the epoch>` from the job
/// template, honours `suspend`, `startingDeadlineSeconds` and `concurrencyPolicy`, keeps `status.active`,
/// `lastScheduleTime` and `lastSuccessfulTime`, and deletes finished Jobs beyond the history limits.
actor CronJobController: InProcessController {
    static let component = "cronjob-controller"
    static let scheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"
    private let logger: Logger
    private var task: Task<Void, Never>?
    private let backoff = RetryBackoff()

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        let logger = self.logger, backoff = self.backoff
        task = Task {
            await Workloads.run(server: server, prefixes: ["/registry/cronjobs/", "/registry/jobs/"], logger: logger) { () async -> Double? in
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

    /// One pass over every CronJob; the seconds until the next scheduled run of any of them.
    static func syncAll(server: APIServer, logger: Logger, now: Date = Date(), backoff: RetryBackoff = RetryBackoff()) async -> Double? {
        guard let cronStore = server.store("batch", "v1", "cronjobs"), let jobStore = server.store("batch", "v1", "jobs"),
              let cronJobs = try? await cronStore.list(namespace: "", options: ListOptions()).items else { return nil }
        backoff.keep(only: cronJobs)
        guard !cronJobs.isEmpty, let jobs = try? await jobStore.list(namespace: "", options: ListOptions()).items else { return nil }
        let events = ControllerEvents(server: server, component: component)
        var wake: Double?
        for cronJob in cronJobs where cronJob.metaDeletionTimestamp == nil {
            let owned = jobs.filter { Workloads.controllerUID($0) == cronJob.metaUID }
            let next = await Workloads.reconcile(cronJob, component: component, backoff: backoff, logger: logger) {
                try await sync(cronJob, owned: owned, cronStore: cronStore, jobStore: jobStore, events: events, logger: logger, now: now)
            }
            if let next { wake = min(wake ?? next, next) }
        }
        return wake
    }

    static func sync(_ cronJob: JSONValue, owned: [JSONValue], cronStore: GenericStore, jobStore: GenericStore,
                     events: ControllerEvents, logger: Logger, now: Date) async throws -> Double? {
        let context = Workloads.context(component)
        let spec = cronJob["spec"] ?? .emptyObject
        var status = cronJob["status"]?.object ?? [:]
        let wasActive = Set(status["active"]?.array?.compactMap { $0["uid"]?.string } ?? [])

        // Jobs that finished since the last pass leave `active`; successful ones move lastSuccessfulTime.
        var active: [JSONValue] = []
        for job in owned {
            if let finished = finishedCondition(job) {
                if wasActive.contains(job.metaUID) {
                    await events.record(cronJob, reason: "SawCompletedJob", message: "Saw completed job: \(job.metaName), condition: \(finished)")
                }
                if finished == "Complete", let done = job[path: ["status", "completionTime"]]?.string,
                   (status["lastSuccessfulTime"]?.string).flatMap(Timestamp.parse) ?? 0 < Timestamp.parse(done) ?? 0 {
                    status["lastSuccessfulTime"] = .string(done)
                }
            } else if job.metaDeletionTimestamp == nil, wasActive.contains(job.metaUID) {
                // Only the Jobs it started count as active (a `kubectl create job --from=cronjob/…` run does not),
                // as upstream: they are what concurrencyPolicy weighs.
                active.append(job)
            }
        }
        await trimHistory(cronJob, owned: owned, store: jobStore, events: events)

        var wake: Double?
        if spec["suspend"]?.bool != true, let schedule = try? CronSchedule(spec["schedule"]?.string ?? "") {
            let zone = spec["timeZone"]?.string.flatMap(TimeZone.init(identifier:)) ?? TimeZone.current
            let lastText = status["lastScheduleTime"]?.string ?? cronJob.metaCreationTimestamp
            let earliest = Date(timeIntervalSince1970: lastText.flatMap(Timestamp.parse) ?? now.timeIntervalSince1970)
            if let scheduled = schedule.mostRecent(atOrBefore: now, after: earliest, in: zone) {
                let deadline = spec.goInt64(["startingDeadlineSeconds"])
                let policy = spec["concurrencyPolicy"]?.string ?? "Allow"
                if let deadline, now.timeIntervalSince(scheduled) > Double(deadline) {
                    await events.record(cronJob, type: "Warning", reason: "MissSchedule",
                                        message: "Missed scheduled time to start a job: \(format(scheduled, in: zone))")
                } else if policy == "Forbid", !active.isEmpty {
                    // The run waits for the active Job (and is dropped once past the starting deadline).
                    logger.debug("cronjob-controller: \(cronJob.metaNamespace)/\(cronJob.metaName) not starting a job: one is active and concurrencyPolicy is Forbid")
                } else {
                    if policy == "Replace" {
                        for job in active {
                            var options = DeleteOptions()
                            options.preconditionUID = job.metaUID
                            options.propagationPolicy = "Background"
                            if (try? await jobStore.delete(namespace: job.metaNamespace, name: job.metaName, options: options, context: context)) != nil {
                                await events.record(cronJob, reason: "SuccessfulDelete", message: "Deleted job \(job.metaName)")
                            }
                        }
                        active = []
                    }
                    if let job = await createJob(cronJob, scheduled: scheduled, zone: zone, store: jobStore, events: events, logger: logger) {
                        active.append(job)
                        status["lastScheduleTime"] = .string(Timestamp.format(scheduled.timeIntervalSince1970))
                    }
                }
            }
            let start = Date(timeIntervalSince1970: (status["lastScheduleTime"]?.string ?? lastText).flatMap(Timestamp.parse) ?? now.timeIntervalSince1970)
            if let next = schedule.next(after: now, in: zone, since: start) { wake = max(0.05, next.timeIntervalSince(now)) }
            // A Forbid run waiting for its Job, or a retry after a failed create, is looked at again by the Job's changes.
        }
        let refs: [JSONValue] = active.map { job in
            ["apiVersion": "batch/v1", "kind": "Job", "name": .string(job.metaName), "namespace": .string(job.metaNamespace),
             "uid": .string(job.metaUID), "resourceVersion": .string(job.metaResourceVersion)]
        }
        status["active"] = refs.isEmpty ? nil : .array(refs)
        try await Workloads.updateStatus(cronJob, .object(status), store: cronStore, component: component)
        return wake
    }

    private static func createJob(_ cronJob: JSONValue, scheduled: Date, zone: TimeZone, store: GenericStore,
                                  events: ControllerEvents, logger: Logger) async -> JSONValue? {
        let template = cronJob[path: ["spec", "jobTemplate"]] ?? .emptyObject
        let name = "\(cronJob.metaName)-\(Int(saturating: scheduled.timeIntervalSince1970 / 60))"
        var annotations = template[path: ["metadata", "annotations"]]?.object ?? [:]
        annotations[scheduledTimestampAnnotation] = .string(format(scheduled, in: zone))
        var metadata: JSONValue = ["name": .string(name), "namespace": .string(cronJob.metaNamespace),
                                   "annotations": .object(annotations), "ownerReferences": [Workloads.ownerReference(cronJob)]]
        if let labels = template[path: ["metadata", "labels"]] { metadata["labels"] = labels }
        let job: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": template["spec"] ?? .emptyObject]
        do {
            let created = try await store.create(namespace: cronJob.metaNamespace, object: job, context: Workloads.context(component))
            await events.record(cronJob, reason: "SuccessfulCreate", message: "Created job \(name)")
            return created
        } catch let error as StatusError where error.code == 409 {
            // Created by an earlier pass whose status write did not land: it is this run's Job if this CronJob owns it.
            guard let existing = try? await store.get(namespace: cronJob.metaNamespace, name: name),
                  Workloads.controllerUID(existing) == cronJob.metaUID else {
                await events.record(cronJob, type: "Warning", reason: "FailedCreate", message: "Error creating job: \(error.message)")
                return nil
            }
            return existing
        } catch {
            await events.record(cronJob, type: "Warning", reason: "FailedCreate",
                                message: "Error creating job: \((error as? StatusError)?.message ?? "\(error)")")
            logger.warning("cronjob-controller: creating job \(cronJob.metaNamespace)/\(name): \(error)")
            return nil
        }
    }

    /// Finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit go, oldest first.
    private static func trimHistory(_ cronJob: JSONValue, owned: [JSONValue], store: GenericStore, events: ControllerEvents) async {
        for (condition, field, fallback) in [("Complete", "successfulJobsHistoryLimit", 3), ("Failed", "failedJobsHistoryLimit", 1)] {
            let limit = max(0, cronJob.goInt32(["spec", field]) ?? fallback)
            let finished = owned.filter { finishedCondition($0) == condition && $0.metaDeletionTimestamp == nil }
                .sorted { startTime($0) < startTime($1) }
            guard finished.count > limit else { continue }
            for job in finished.prefix(finished.count - limit) {
                var options = DeleteOptions()
                options.preconditionUID = job.metaUID
                options.propagationPolicy = "Background"
                if (try? await store.delete(namespace: job.metaNamespace, name: job.metaName, options: options,
                                            context: Workloads.context(component))) != nil {
                    await events.record(cronJob, reason: "SuccessfulDelete", message: "Deleted job \(job.metaName)")
                }
            }
        }
    }

    private static func startTime(_ job: JSONValue) -> String {
        job[path: ["status", "startTime"]]?.string ?? job.metaCreationTimestamp ?? ""
    }

    /// "Complete" or "Failed" once the Job has finished.
    static func finishedCondition(_ job: JSONValue) -> String? {
        for condition in job[path: ["status", "conditions"]]?.array ?? [] where condition["status"]?.string == "True" {
            if let type = condition["type"]?.string, type == "Complete" || type == "Failed" { return type }
        }
        return nil
    }

    /// RFC 3339 in the CronJob's zone, as Go's `Time.In(zone).Format(time.RFC3339)`.
    static func format(_ date: Date, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let local = Timestamp.format(date.timeIntervalSince1970 + Double(offset))
        guard offset != 0, local.hasSuffix("Z") else { return local }
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600, minutes = abs(offset) % 3600 / 60
        return String(local.dropLast()) + sign + (hours < 10 ? "0" : "") + "\(hours):" + (minutes < 10 ? "0" : "") + "\(minutes)"
    }
}
