import ControllerRuntime
import Foundation
import KubeAPI
import KubeClient
import KubeJSON

/// The Jobs a CronJob makes and trims.
extension CronJobController {
    /// The run's Job; one that exists already is it when this CronJob owns it (a create whose status write did not
    /// land, or a cache behind its own creation).
    func createJob(_ typed: Typed<CronJob>, scheduled: Date, zone: TimeZone) async throws -> JSONValue {
        let cronJob = typed.json
        let template = typed.object.spec.jobTemplate ?? .emptyObject
        let name = "\(cronJob.metaName)-\(Int(saturating: scheduled.timeIntervalSince1970 / 60))"
        let templateMeta: ObjectMeta
        do {
            templateMeta = try ObjectMeta(json: template["metadata"] ?? .emptyObject)
        } catch {
            throw UndecodableObject(kind: "CronJob", namespace: cronJob.metaNamespace, name: cronJob.metaName, error: error)
        }
        var metadata = ObjectMeta(name: name, namespace: cronJob.metaNamespace, labels: templateMeta.labels,
                                  annotations: (templateMeta.annotations ?? [:]).merging([Self.scheduledTimestampAnnotation: Self.format(scheduled, in: zone)]) { $1 })
        metadata.ownerReferences = [Workloads.ownerReference(cronJob)]
        // The Job's spec is the template's as stored.
        let job: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": try Workloads.json(metadata), "spec": template["spec"] ?? .emptyObject]
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
    func trimHistory(_ typed: Typed<CronJob>, owned: [Typed<Job>]) async -> (any Error)? {
        let cronJob = typed.object, cronJobJSON = typed.json
        var failure: (any Error)?
        for (condition, limitField) in [("Complete", cronJob.spec.successfulJobsHistoryLimit ?? 3), ("Failed", cronJob.spec.failedJobsHistoryLimit ?? 1)] {
            let limit = max(0, Int(limitField))
            let finished = owned.filter { $0.object.finishedCondition == condition && $0.json.metaDeletionTimestamp == nil }
                .sorted { Self.startTime($0) < Self.startTime($1) }.map(\.json)
            guard finished.count > limit else { continue }
            for job in finished.prefix(finished.count - limit) {
                do {
                    try await jobs.delete(namespace: job.metaNamespace, name: job.metaName,
                                          options: Workloads.deleteOptions(job, propagation: "Background"))
                    context.recorder.event(cronJobJSON, reason: "SuccessfulDelete", message: "Deleted job \(job.metaName)")
                } catch let error as APIError where error.isNotFound {
                    // A cache behind an earlier sync's delete.
                } catch {
                    failure = failure ?? error
                }
            }
        }
        return failure
    }

    static func startTime(_ job: Typed<Job>) -> String {
        job.object.status.startTime ?? job.json.metaCreationTimestamp ?? ""
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
