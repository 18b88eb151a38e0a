import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// upstream's horizontal-pod-autoscaler controller, every `--horizontal-pod-autoscaler-sync-period` (15 s): reads
/// the target's `scale` subresource, keeps its replicas within minReplicas…maxReplicas, and reports status and
/// conditions. Replica counts from metrics need the resource metrics API (metrics.k8s.io, served by metrics-server
/// through aggregation); without it, as upstream without metrics-server, ScalingActive is False with
/// FailedGetResourceMetric and the replicas are left as they are.
struct HorizontalPodAutoscalerController: Controller {
    static let component = "horizontal-pod-autoscaler"
    static let syncPeriod: Double = 15

    let context: ControllerContext
    let autoscalers: ObjectStore
    let worker: QueueWorker

    init(context: ControllerContext) {
        self.context = context
        autoscalers = ObjectStore(.horizontalPodAutoscalers, context: context)
        worker = QueueWorker(name: "horizontalpodautoscaler", workers: context.options.concurrentHorizontalPodAutoscalerSyncs,
                             clock: context.clock, logger: context.logger)
        // New HPAs and spec changes are synced at once; the controller's own status writes are not (upstream runs an
        // HPA once per sync period, so each period reports its events once).
        let queue = worker.queue
        autoscalers.informer.addEventHandler(EventHandler(
            onAdd: { queue.add(ObjectCache.key($0)) },
            onUpdate: { old, new in if old["spec"] != new["spec"] { queue.add(ObjectCache.key(new)) } }))
    }

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await worker.run(context: context) { try await sync($0) } }
            group.addTask {
                while (try? await context.clock.sleep(for: context.options.horizontalPodAutoscalerSyncPeriod)) != nil {
                    for key in autoscalers.cache.keys { worker.queue.add(key) }
                }
            }
            await group.waitForAll()
        }
    }

    /// The scalable resources of a scale target's kind (upstream resolves any kind through discovery).
    static func resource(for reference: CrossVersionObjectReference) -> ResourceType? {
        let group = reference.apiVersion.map { $0.contains("/") ? String($0.prefix { $0 != "/" }) : "" }
        switch (group, reference.kind) {
        case ("apps", "Deployment"), (nil, "Deployment"): return .deployments
        case ("apps", "ReplicaSet"), (nil, "ReplicaSet"): return .replicaSets
        case ("apps", "StatefulSet"), (nil, "StatefulSet"): return .statefulSets
        case ("", "ReplicationController"), (nil, "ReplicationController"): return .replicationControllers
        default: return nil
        }
    }

    static let metricsUnavailable = "unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)"

    func sync(_ key: String) async throws {
        guard let json = autoscalers.cache.get(key), json.metaDeletionTimestamp == nil else { return }
        try await Workloads.skippingUndecodable(Self.component, key, logger: context.logger) {
            let typed: Typed<HorizontalPodAutoscaler> = try Workloads.typed(json)
            try await reconcile(typed)
        }
    }

    func reconcile(_ typed: Typed<HorizontalPodAutoscaler>) async throws {
        let hpa = typed.object, json = typed.json
        let namespace = json.metaNamespace
        let target = hpa.spec.scaleTargetRef
        var status = hpa.status
        let now = context.clock.timestamp()
        func condition(_ type: String, _ value: String, _ reason: String, _ message: String) {
            var conditions = status.conditions ?? []
            let changed = conditions.first { $0.type == type }.map { $0.status != value } ?? true
            let previous = conditions.first { $0.type == type }?.lastTransitionTime
            conditions.removeAll { $0.type == type }
            conditions.append(HorizontalPodAutoscalerCondition(type: type, status: value, lastTransitionTime: changed ? now : previous,
                                                               reason: reason, message: message))
            // Upstream's order: AbleToScale, ScalingActive, ScalingLimited.
            let order = ["AbleToScale": 0, "ScalingActive": 1, "ScalingLimited": 2]
            status.conditions = conditions.sorted { (order[$0.type] ?? 3) < (order[$1.type] ?? 3) }
        }
        func writeStatus() async throws {
            status.observedGeneration = json[path: ["metadata", "generation"]]?.int
            guard status != hpa.status else { return }
            _ = try await autoscalers.updateStatus(typed) { $0.status = status }
        }

        let scale: JSONValue
        let resource = Self.resource(for: target)
        do {
            guard let resource else {
                throw APIError(code: 404, reason: "NotFound", message: "no matches for kind \"\(target.kind)\" in group \"\(target.apiVersion ?? "")\"")
            }
            scale = try await context.client.get(resource, namespace: namespace, name: target.name, subresource: "scale")
        } catch {
            let message = "the HPA controller was unable to get the target's current scale: \(Workloads.message(error))"
            context.recorder.event(json, type: "Warning", reason: "FailedGetScale", message: Workloads.message(error))
            condition("AbleToScale", "False", "FailedGetScale", message)
            try await writeStatus()
            return
        }
        condition("AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale")
        let current = Int32(clamping: scale[path: ["spec", "replicas"]]?.int ?? 0)
        let minReplicas = hpa.spec.minReplicas ?? 1, maxReplicas = hpa.spec.maxReplicas
        var desired = current
        var reason = ""
        if current == 0, minReplicas != 0 {
            condition("ScalingActive", "False", "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")
        } else if current > maxReplicas {
            desired = maxReplicas
            reason = "Current number of replicas above Spec.MaxReplicas"
            condition("ScalingLimited", "True", "TooManyReplicas", "the desired replica count is more than the maximum replica count")
        } else if current < minReplicas {
            desired = minReplicas
            reason = "Current number of replicas below Spec.MinReplicas"
            condition("ScalingLimited", "True", "TooFewReplicas", "the desired replica count is less than the minimum replica count")
        } else if !(hpa.spec.metrics ?? []).isEmpty {
            // No resource metrics API here: upstream's words for an HPA without metrics-server.
            let error = "failed to get cpu utilization: \(Self.metricsUnavailable)"
            context.recorder.event(json, type: "Warning", reason: "FailedGetResourceMetric", message: error)
            condition("ScalingActive", "False", "FailedGetResourceMetric", "the HPA was unable to compute the replica count: \(error)")
            status.currentReplicas = current
            try await writeStatus()
            context.recorder.event(json, type: "Warning", reason: "FailedComputeMetricsReplicas",
                                   message: "invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: \(error)")
            return
        }
        if desired != current, let resource {
            var next = scale
            next[path: ["spec", "replicas"]] = .int(Int64(desired))
            do {
                _ = try await context.client.update(resource, namespace: namespace, object: next, subresource: "scale")
            } catch {
                context.recorder.event(json, type: "Warning", reason: "FailedRescale",
                                       message: "New size: \(desired); reason: \(reason); error: \(Workloads.message(error))")
                condition("AbleToScale", "False", "FailedUpdateScale", "the HPA controller was unable to update the target scale: \(Workloads.message(error))")
                try await writeStatus()
                throw error
            }
            condition("AbleToScale", "True", "SucceededRescale", "the HPA controller was able to update the target scale to \(desired)")
            context.recorder.event(json, reason: "SuccessfulRescale", message: "New size: \(desired); reason: \(reason)")
            context.logger.info("Successful rescale of \(json.metaName), old size: \(current), new size: \(desired), reason: \(reason)")
            status.lastScaleTime = now
        }
        status.currentReplicas = current
        status.desiredReplicas = desired
        try await writeStatus()
    }
}
