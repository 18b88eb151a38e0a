import Foundation
import KubeAPI
import KubeJSON

/// batch/v1 Jobs: upstream's defaults, the generated selector and template labels (unless manualSelector), and a
/// pod template that must not restart Always.
struct JobStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }

    static let uidLabel = "batch.kubernetes.io/controller-uid"
    static let nameLabel = "batch.kubernetes.io/job-name"

    func prepareForCreate(_ object: inout JSONValue) {
        object["status"] = .emptyObject
        Self.generateSelector(&object, at: ["spec"])
    }

    /// The selector upstream generates from the job's UID, and the labels that make the template match it.
    static func generateSelector(_ object: inout JSONValue, at spec: [String]) {
        guard object[path: spec + ["manualSelector"]]?.bool != true else { return }
        let uid = object.metaUID
        let name = object.metaName
        object[path: spec + ["selector"]] = ["matchLabels": [uidLabel: .string(uid)]]
        var labels = object[path: spec + ["template", "metadata", "labels"]]?.object ?? [:]
        labels[uidLabel] = .string(uid)
        labels[nameLabel] = .string(name)
        labels["controller-uid"] = .string(uid)
        labels["job-name"] = .string(name)
        object[path: spec + ["template", "metadata", "labels"]] = .object(labels)
    }

    func applyDefaults(_ object: inout JSONValue) {
        Self.defaults(&object, at: ["spec"])
    }

    static func defaults(_ object: inout JSONValue, at path: [String]) {
        var spec = object[path: path]?.object ?? [:]
        if spec["completions"] == nil, spec["parallelism"] == nil {
            spec["completions"] = 1
            spec["parallelism"] = 1
        }
        setDefault(&spec, "parallelism", 1)
        setDefault(&spec, "backoffLimit", 6)
        setDefault(&spec, "completionMode", "NonIndexed")
        setDefault(&spec, "suspend", false)
        setDefault(&spec, "manualSelector", false)
        if spec["podFailurePolicy"] == nil { setDefault(&spec, "podReplacementPolicy", "TerminatingOrFailed") }
        object[path: path] = .object(spec)
        PodTemplate.applyDefaults(&object, at: path + ["template"])
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        Self.validateSpec(object, at: ["spec"], selector: true)
    }

    static let maxParallelismForIndexedJob: Int64 = 100_000

    static func validateSpec(_ object: JSONValue, at path: [String], selector: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        let prefix = path.joined(separator: ".")
        errors += NumericValidation.nonNegative(object, path, ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                                                               "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"])
        let modes = ["NonIndexed", "Indexed"]
        let mode = object[path: path + ["completionMode"]]?.string
        if let mode, !modes.contains(mode) { errors.append(.notSupported("\(prefix).completionMode", mode, modes)) }
        if mode == "Indexed" {
            if object[path: path + ["completions"]]?.int == nil {
                errors.append(.required("\(prefix).completions", "when completion mode is Indexed"))
            }
            // Caps the Job controller's per-index work and the length of completedIndexes, as upstream's limit does.
            if let parallelism = object[path: path + ["parallelism"]]?.int, parallelism > Self.maxParallelismForIndexedJob {
                errors.append(.invalid("\(prefix).parallelism", number: parallelism,
                                       "must be less than or equal to \(Self.maxParallelismForIndexedJob) when completion mode is Indexed"))
            }
        }
        if selector {
            errors += WorkloadSelector.validate(object, templateLabels: path + ["template", "metadata", "labels"], kind: "job")
        }
        errors += PodTemplate.validate(object, at: path + ["template"], restartPolicies: ["OnFailure", "Never"])
        return errors
    }

    /// upstream's index rules for a Job status write (JobManagedBy's status validation, on by default in 1.32), each
    /// applied only when its field changes, as upstream's status strategy does: a Job stored with bad indexes can
    /// still have its other status fields written, and the Job controller may leave indexes beyond a lowered
    /// `completions` until its next pass. The text is read one interval at a time, so a huge one costs no memory.
    static func validateIndexes(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let completed = object[path: ["status", "completedIndexes"]]?.string ?? ""
        let failed = object[path: ["status", "failedIndexes"]]?.string
        let completedChanged = completed != (old[path: ["status", "completedIndexes"]]?.string ?? "")
        let failedChanged = failed != old[path: ["status", "failedIndexes"]]?.string
        let completions = object.goInt32(["spec", "completions"])
        let indexed = object[path: ["spec", "completionMode"]]?.string == "Indexed"
        let perIndex = object[path: ["spec", "backoffLimitPerIndex"]].map { $0 != .null } ?? false
        if completedChanged {
            if let completions, let problem = JobIndexValidation.formatError(completed, completions: completions) {
                errors.append(.invalid("status.completedIndexes", completed, "error parsing completedIndexes: \(problem)"))
            }
            if !completed.isEmpty, !indexed {
                errors.append(.invalid("status.completedIndexes", completed, "cannot set non-empty completedIndexes when non-indexed completion mode"))
            }
        }
        if failedChanged, let failed {
            if let completions, perIndex, let problem = JobIndexValidation.formatError(failed, completions: completions) {
                errors.append(.invalid("status.failedIndexes", failed, "error parsing failedIndexes: \(problem)"))
            }
            if !perIndex {
                errors.append(.invalid("status.failedIndexes", failed, "cannot set non-null failedIndexes when backoffLimitPerIndex is null"))
            }
        }
        if completedChanged || failedChanged, let completions, let failed,
           let overlap = JobIndexValidation.overlapError(completed: completed, failed: failed, completions: completions) {
            errors.append(.invalid("status.failedIndexes", failed, overlap))
        }
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        // Compared with the stored Job as today's defaults complete it (an older binary stored fewer defaults).
        var old = old
        applyDefaults(&old)
        var errors = specUnchanged(object, old, defaulted: { _ in }) ? [] : validate(object)
        if object["status"] != old["status"] {
            errors += NumericValidation.nonNegative(object, ["status"], ["active", "succeeded", "failed", "ready", "terminating"])
            errors += Self.validateIndexes(object, old: old)
        }
        // The template may change only while the job is suspended (upstream's rule for mutable scheduling).
        let suspended = old[path: ["spec", "suspend"]]?.bool == true
        for field in suspended ? ["selector"] : ["selector", "template"] where object[path: ["spec", field]] != old[path: ["spec", field]] {
            errors.append(FieldError(kind: .invalid, field: "spec.\(field)", value: JSONWriter.string(object[path: ["spec", field]] ?? .null),
                                     detail: "field is immutable", numeric: true))
        }
        return errors
    }
}

/// batch/v1 CronJobs: upstream's defaults and a schedule that parses (five fields or a @descriptor).
struct CronJobStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var tracksGeneration: Bool { true }

    func applyDefaults(_ object: inout JSONValue) {
        var spec = object["spec"]?.object ?? [:]
        setDefault(&spec, "concurrencyPolicy", "Allow")
        setDefault(&spec, "suspend", false)
        setDefault(&spec, "successfulJobsHistoryLimit", 3)
        setDefault(&spec, "failedJobsHistoryLimit", 1)
        object["spec"] = .object(spec)
        PodTemplate.applyDefaults(&object, at: ["spec", "jobTemplate", "spec", "template"])
    }

    func validateName(_ name: String) -> String? {
        // The jobs it creates append 11 characters to its name.
        if name.count > 52 { return "must be no more than 52 characters" }
        return NameValidation.isDNS1123Subdomain(name) ? nil : NameValidation.dns1123SubdomainMessage
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        specUnchanged(object, old, defaulted: applyDefaults) ? [] : validate(object)
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let schedule = object[path: ["spec", "schedule"]]?.string ?? ""
        if schedule.isEmpty {
            errors.append(.required("spec.schedule"))
        } else if let problem = Self.scheduleProblem(schedule) {
            errors.append(.invalid("spec.schedule", schedule, problem))
        }
        let policies = ["Allow", "Forbid", "Replace"]
        if let policy = object[path: ["spec", "concurrencyPolicy"]]?.string, !policies.contains(policy) {
            errors.append(.notSupported("spec.concurrencyPolicy", policy, policies))
        }
        if let zone = object[path: ["spec", "timeZone"]]?.string, TimeZone(identifier: zone) == nil || zone.hasPrefix(" ") {
            errors.append(.invalid("spec.timeZone", zone, "unknown time zone \(zone)"))
        }
        errors += NumericValidation.nonNegative(object, ["spec"], ["startingDeadlineSeconds", "successfulJobsHistoryLimit",
                                                                  "failedJobsHistoryLimit"])
        errors += JobStrategy.validateSpec(object, at: ["spec", "jobTemplate", "spec"], selector: false)
        return errors
    }

    /// nil when the standard cron syntax (robfig/cron's parser as upstream configures it) accepts the schedule.
    static func scheduleProblem(_ schedule: String) -> String? {
        do {
            try CronScheduleSyntax.check(schedule)
            return nil
        } catch {
            return error.description
        }
    }
}
