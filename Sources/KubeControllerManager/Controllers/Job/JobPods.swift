import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// A Job's pods, made (NonIndexed or with their completion index) and removed.
extension JobSync {
    mutating func createIndexed(active: [WorkloadPod]) async {
        let limit = completions ?? 0
        let completed = CompletedIndexes(status.completedIndexes, below: limit)
        let running = Set(active.compactMap(Self.index))
        // The first free indexes: a run of completed ones is skipped in one step, so a sync takes steps for the pods
        // it creates, the running ones and the intervals, never for each of up to two billion completed indexes.
        var wanted = min(max(0, parallelism - active.count), JobController.burst)
        var index = 0
        var chosen: [Int?] = []
        while wanted > 0 {
            index = completed.firstMissing(from: index)
            guard index < limit else { break }
            if !running.contains(index) {
                chosen.append(index)
                wanted -= 1
            }
            index += 1
        }
        await create(indexes: chosen)
    }

    /// Creates a pod per entry (nil: NonIndexed); the first failure skips the rest, as upstream's batches.
    mutating func create(indexes: [Int?]) async {
        guard !indexes.isEmpty else { return }
        controller.expectations.expect(key, adds: indexes.count)
        for (made, index) in indexes.enumerated() {
            do {
                let created = try await controller.pods.create(namespace: job.metaNamespace, object: try pod(index: index))
                createdCount += 1
                recorder.event(job, reason: "SuccessfulCreate", message: "Created pod: \(created.metaName)")
            } catch {
                controller.expectations.lower(key, adds: indexes.count - made)
                recorder.event(job, type: "Warning", reason: "FailedCreate", message: "Error creating: \(Workloads.message(error))")
                failure = failure ?? error
                return
            }
        }
    }

    func pod(index: Int?) throws -> JSONValue {
        var pod = try Workloads.pod(from: spec.template ?? .emptyObject, owner: job,
                                namePrefix: index.map { "\(job.metaName)-\($0)" } ?? job.metaName,
                                extraLabels: index.map { [JobController.indexAnnotation: String($0)] } ?? [:])
        pod.setMeta("finalizers", [.string(JobController.trackingFinalizer)])
        guard let index else { return pod }
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
        return pod
    }

    /// A pod that is already gone counts as deleted; any other failure leaves it active for the next sync.
    mutating func deletePods(_ victims: [WorkloadPod]) async {
        let targets = victims.filter { !$0.isTerminating }
        guard !targets.isEmpty else { return }
        controller.expectations.expect(key, deletes: targets.count)
        for pod in targets {
            do {
                try await controller.pods.delete(namespace: pod.json.metaNamespace, name: pod.name, options: Workloads.deleteOptions(pod.json))
                deletedCount += 1
                recorder.event(job, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.name)")
            } catch {
                controller.expectations.deletionObserved(key)
                if !((error as? APIError)?.isNotFound ?? false) { failure = failure ?? error }
            }
        }
    }
}
