import ControllerRuntime
import Foundation
import KubeAPI
import KubeClient
import KubeJSON

/// The Jobs a CronJob makes and trims.
extension CronJobController {
    /// The run's Job; one that exists already is it when this CronJob owns it (a create whose status write did not
    /// land, or a cache behind its own creation).
    func createJob(_ cronJob: JSONValue, scheduled: Date, zone: TimeZone) async throws -> JSONValue {
        let template = cronJob[path: ["spec", "jobTemplate"]] ?? .emptyObject
        let name = "\(cronJob.metaName)-\(Int(saturating: scheduled.timeIntervalSince1970 / 60))"
        var annotations = template[path: ["metadata", "annotations"]]?.object ?? [:]
        annotations[Self.scheduledTimestampAnnotation] = .string(Self.format(scheduled, in: zone))
        var metadata: JSONValue = ["name": .string(name), "namespace": .string(cronJob.metaNamespace),
                                   "annotations": .object(annotations), "ownerReferences": [Workloads.ownerReference(cronJob)]]
        if let labels = template[path: ["metadata", "labels"]] { metadata["labels"] = labels }
        let job: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": template["spec"] ?? .emptyObject]
        do {
            let created = try await jobs.create(namespace: cronJob.metaNamespace, object: job)
            context.recorder.event(cronJob, reason: "SuccessfulCreate", message: "Created job \(name)")
            return created
        } catch let error as APIError where error.code == 409 {
            let existing = try? await jobs.client.get(.jobs, namespace: cronJob.metaNamespace, name: name)
            guard let existing, Workloads.controllerUID(existing) == cronJob.metaUID else {
                context.recorder.event(cronJob, type: "Warning", reason: "FailedCreate", message: "Error creating job: \(error.message)")
                throw error
            }
            return existing
        } catch {
            context.recorder.event(cronJob, type: "Warning", reason: "FailedCreate", message: "Error creating job: \(Workloads.message(error))")
            throw error
        }
    }

    /// Finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit go, oldest first. The first
    /// failure, if any.
    func trimHistory(_ cronJob: JSONValue, owned: [JSONValue]) async -> (any Error)? {
        var failure: (any Error)?
        for (condition, field, fallback) in [("Complete", "successfulJobsHistoryLimit", 3), ("Failed", "failedJobsHistoryLimit", 1)] {
            let limit = max(0, cronJob.goInt32(["spec", field]) ?? fallback)
            let finished = owned.filter { Self.finishedCondition($0) == condition && $0.metaDeletionTimestamp == nil }
                .sorted { Self.startTime($0) < Self.startTime($1) }
            guard finished.count > limit else { continue }
            for job in finished.prefix(finished.count - limit) {
                do {
                    try await jobs.delete(namespace: job.metaNamespace, name: job.metaName,
                                          options: Workloads.deleteOptions(job, propagation: "Background"))
                    context.recorder.event(cronJob, reason: "SuccessfulDelete", message: "Deleted job \(job.metaName)")
                } catch let error as APIError where error.isNotFound {
                    // A cache behind an earlier sync's delete.
                } catch {
                    failure = failure ?? error
                }
            }
        }
        return failure
    }

    static func startTime(_ job: JSONValue) -> String {
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
        let local = RFC3339.format(date.timeIntervalSince1970 + Double(offset))
        guard offset != 0, local.hasSuffix("Z") else { return local }
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600, minutes = abs(offset) % 3600 / 60
        return String(local.dropLast()) + sign + (hours < 10 ? "0" : "") + "\(hours):" + (minutes < 10 ? "0" : "") + "\(minutes)"
    }
}
