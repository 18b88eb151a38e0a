import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// kube-scheduler's loop (upstream's Scheduler.scheduleOne): take the next pod from the queue, run its profile's
/// plugins over the cached nodes, assume it onto the chosen node and bind it on a task of its own, or record why
/// it fits nowhere (the PodScheduled condition, a FailedScheduling event) and park it in the queue.
public final class Scheduler: Sendable {
    let client: any KubernetesClient
    let clock: any RuntimeClock
    let logger: Logger
    public let cache = SchedulerCache()
    public let queue: SchedulingQueue
    let nominator = Nominator()
    let frameworks: [String: Framework]
    let recorders: [String: EventRecorder]
    let informers: InformerFactory
    /// Claims, volumes and classes: waited for only by pods that have claims, so that a scheduler not allowed to
    /// read them (an RBAC policy without upstream's system:volume-scheduler) still places every other pod.
    let volumeInformers: InformerFactory
    /// Services, ReplicaSets, StatefulSets (spreading's default selector) and PodDisruptionBudgets (preemption):
    /// read as far as they have listed and never waited for, so a user without upstream's RBAC for them still
    /// schedules.
    let auxiliaryInformers: InformerFactory
    let podInformer: SharedInformer
    let budgets: ObjectCache

    public init(client: any KubernetesClient, configuration: SchedulerConfiguration = SchedulerConfiguration(),
                clock: any RuntimeClock = SystemClock(), logger: Logger, host: String? = nil,
                eventClient: (any KubernetesClient)? = nil) {
        self.client = client
        self.clock = clock
        self.logger = logger
        queue = SchedulingQueue(clock: clock, initialBackoff: configuration.podInitialBackoffSeconds,
                                maxBackoff: configuration.podMaxBackoffSeconds)
        informers = InformerFactory(client: client, clock: clock, logger: logger)
        podInformer = informers.informer(.pods)
        volumeInformers = InformerFactory(client: client, clock: clock, logger: logger)
        let nodes = informers.informer(.nodes), claims = volumeInformers.informer(.persistentVolumeClaims)
        let volumes = volumeInformers.informer(.persistentVolumes), classes = volumeInformers.informer(.storageClasses)
        // Spreading's default selectors are not waited for either: until they list, pods spread by their own
        // constraints only.
        auxiliaryInformers = InformerFactory(client: client, clock: clock, logger: logger)
        let services = auxiliaryInformers.informer(.services), replicaSets = auxiliaryInformers.informer(.replicaSets)
        let statefulSets = auxiliaryInformers.informer(.statefulSets)
        budgets = auxiliaryInformers.informer(.podDisruptionBudgets).cache
        services.cache.addIndexer(SpreadSelectorSource.namespaceIndex, SpreadSelectorSource.byNamespace)
        let listers = PluginCatalog.Listers(claims: claims.cache, volumes: volumes.cache, classes: classes.cache,
                                            synced: { claims.hasSynced && volumes.hasSynced && classes.hasSynced },
                                            spreadSelectors: SpreadSelectorSource(services: services.cache, replicaSets: replicaSets.cache,
                                                                                  statefulSets: statefulSets.cache))
        var frameworks: [String: Framework] = [:]
        var recorders: [String: EventRecorder] = [:]
        for profile in configuration.profiles {
            frameworks[profile.schedulerName] = PluginCatalog.framework(for: profile, listers: listers)
            recorders[profile.schedulerName] = EventRecorder(component: profile.schedulerName, host: host, client: eventClient ?? client,
                                                             clock: clock, logger: logger)
        }
        self.frameworks = frameworks
        self.recorders = recorders
        registerHandlers(pods: podInformer, nodes: nodes, claims: claims, volumes: volumes, classes: classes)
    }

    /// Lists and watches, then schedules until the task is cancelled.
    public func run() async {
        informers.start()
        volumeInformers.start()
        auxiliaryInformers.start()
        logger.info("Waiting for caches to sync for kube-scheduler")
        guard await informers.waitForCacheSync() else { return await stop() }
        logger.info("Caches are synced; scheduling", metadata: ["profiles": "\(frameworks.keys.sorted())"])
        await withDiscardingTaskGroup { group in
            group.addTask { [queue, clock] in
                // upstream flushes backoffQ every second and looks for pods unschedulable too long every 30 s;
                // both are a look at a heap top or a count when nothing waits.
                while (try? await clock.sleep(for: 1)) != nil { queue.flush() }
            }
            group.addTask { [queue, volumeInformers] in
                // Pods with claims waited for these caches; their listing may bring no object to announce it.
                if await volumeInformers.waitForCacheSync() { queue.moveAll(.pvcChange) }
            }
            while let queued = await queue.pop() {
                if let binding = scheduleOne(queued) { group.addTask { await binding() } }
            }
            group.cancelAll()
        }
        await stop()
    }

    private func stop() async {
        for recorder in recorders.values { recorder.stop() }
        await informers.shutdown()
        await volumeInformers.shutdown()
        await auxiliaryInformers.shutdown()
    }

    /// Waits until every event recorded so far has been written (tests).
    public func flushEvents() async {
        for recorder in recorders.values { await recorder.flush() }
    }

    /// One scheduling cycle; the binding (or the failure's status write) to run on its own task, if any.
    func scheduleOne(_ queued: SchedulingQueue.QueuedPod) -> (@Sendable () async -> Void)? {
        let pod = queued.info
        // The queue's copy may be behind: skip pods deleted, bound or being deleted since they were queued, and
        // pods assumed already (an update re-queued one whose binding is on its way).
        guard let current = podInformer.cache.get(pod.key), current.metaUID == pod.uid,
              (current[path: ["spec", "nodeName"]]?.string ?? "").isEmpty, current.metaDeletionTimestamp == nil,
              !cache.isAssumed(pod.key), let framework = frameworks[pod.schedulerName] else {
            queue.done(key: pod.key)
            return nil
        }
        let nodes = cache.snapshot()
        let budgets = self.budgets
        switch framework.schedule(pod, nodes: nodes, nominated: nominator.byNode(), budgets: { budgets.list() }) {
        case .node(let nodeName, let state):
            nominator.remove(key: pod.key)
            var assumed = pod
            assumed.nodeName = nodeName
            assumed.object[path: ["spec", "nodeName"]] = .string(nodeName)
            cache.assume(assumed)
            queue.done(key: pod.key)
            logger.debug("Attempting to bind pod to node", metadata: ["pod": "\(pod.key)", "node": "\(nodeName)"])
            return { [self] in await bind(queued, to: nodeName, state: state) }
        case .unschedulable(let error, let clearNomination):
            let message = error.message
            logger.debug("Unable to schedule pod; no fit; waiting", metadata: ["pod": "\(pod.key)", "err": "\(message)"])
            if clearNomination { nominator.remove(key: pod.key) }
            queue.addUnschedulable(key: pod.key, rejectedBy: error.plugins)
            recorders[pod.schedulerName]?.event(Self.involved(pod), type: "Warning", reason: "FailedScheduling", message: message)
            return { [self] in await markUnschedulable(pod, message: message, nominatedNodeName: clearNomination ? "" : nil) }
        case .preempt(let error, let nodeName, let victims):
            // upstream: the preemption itself succeeded, so the message has no `preemption:` part; the pod waits
            // (nominated) until the victims' deletes free the room and move it back.
            let message = error.message
            logger.debug("Preempting for pod", metadata: ["pod": "\(pod.key)", "node": "\(nodeName)", "victims": "\(victims.map { $0.key })"])
            let displaced = nominator.takeLowerPriority(on: nodeName, than: pod.priority)
            nominator.nominate(pod, to: nodeName)
            queue.addUnschedulable(key: pod.key, rejectedBy: error.plugins)
            recorders[pod.schedulerName]?.event(Self.involved(pod), type: "Warning", reason: "FailedScheduling", message: message)
            return { [self] in
                await evict(victims, for: pod, on: nodeName, unnominating: displaced)
                await markUnschedulable(pod, message: message, nominatedNodeName: nodeName)
            }
        }
    }

    /// upstream's PreBind (claims waiting for a consumer get the node) and DefaultBinder (`pods/binding`).
    func bind(_ queued: SchedulingQueue.QueuedPod, to nodeName: String, state: CycleState) async {
        let pod = queued.info
        do {
            for claim in state.delayedClaims {
                _ = try await client.patch(.persistentVolumeClaims, namespace: claim.namespace, name: claim.name, type: .merge,
                                           ["metadata": ["annotations": [VolumeBinding.selectedNodeAnnotation: .string(nodeName)]]])
            }
            let binding: JSONValue = [
                "apiVersion": "v1", "kind": "Binding",
                "metadata": ["name": .string(pod.name), "namespace": .string(pod.namespace), "uid": .string(pod.uid)],
                "target": ["apiVersion": "v1", "kind": "Node", "name": .string(nodeName)],
            ]
            _ = try await client.create(.pods, namespace: pod.namespace, object: binding, subresource: "binding")
            logger.debug("Successfully bound pod to node", metadata: ["pod": "\(pod.key)", "node": "\(nodeName)"])
            recorders[pod.schedulerName]?.event(Self.involved(pod), reason: "Scheduled",
                                                message: "Successfully assigned \(pod.namespace)/\(pod.name) to \(nodeName)")
        } catch {
            if Task.isCancelled { return }
            logger.error("Failed to bind pod", metadata: ["pod": "\(pod.key)", "node": "\(nodeName)", "err": "\(error)"])
            cache.forget(key: pod.key)
            // The room it was assumed into is free again for the pods that did not fit there.
            queue.moveAll(.assignedPodDelete)
            recorders[pod.schedulerName]?.event(Self.involved(pod), type: "Warning", reason: "FailedScheduling",
                                                message: "Binding rejected: \(error)")
            if let current = podInformer.cache.get(pod.key), current.metaUID == pod.uid,
               (current[path: ["spec", "nodeName"]]?.string ?? "").isEmpty {
                queue.requeue(queued)
            }
        }
    }

    /// PodScheduled=False with reason Unschedulable through pods/status, written only when it says something new
    /// (the status write comes back as a pod update, which must not look like a reason to try again).
    /// `nominatedNodeName`: written along (an empty one removes it), or left as it is when nil.
    func markUnschedulable(_ pod: PodInfo, message: String, nominatedNodeName: String? = nil) async {
        // Written on its own task, so a later cycle may have bound the pod meanwhile: do not contradict that.
        guard let latest = podInformer.cache.get(pod.key), latest.metaUID == pod.uid,
              (latest[path: ["spec", "nodeName"]]?.string ?? "").isEmpty, !cache.isAssumed(pod.key) else { return }
        let conditions = pod.object[path: ["status", "conditions"]]?.array ?? []
        let existing = conditions.first { $0["type"] == "PodScheduled" }
        let nominationChanges = nominatedNodeName.map { $0 != (latest[path: ["status", "nominatedNodeName"]]?.string ?? "") } ?? false
        if existing?["status"] == "False", existing?["reason"] == "Unschedulable", existing?["message"]?.string == message,
           !nominationChanges { return }
        let transition = existing?["status"] == "False" ? existing?["lastTransitionTime"] ?? .string(clock.timestamp()) : .string(clock.timestamp())
        let condition: JSONValue = ["type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": .string(message),
                                    "lastProbeTime": .null, "lastTransitionTime": transition]
        // The whole list, so that the result is right whether the server merges conditions by type or replaces them.
        let updated = conditions.filter { $0["type"] != "PodScheduled" } + [condition]
        var status: JSONValue = ["conditions": .array(updated)]
        if nominationChanges, let nominatedNodeName {
            status["nominatedNodeName"] = nominatedNodeName.isEmpty ? .null : .string(nominatedNodeName)
        }
        do {
            _ = try await client.patch(.pods, namespace: pod.namespace, name: pod.name, type: .strategicMerge,
                                       body: ["status": status], subresource: "status")
        } catch let error as APIError where error.isNotFound {
            return
        } catch {
            if Task.isCancelled { return }
            logger.error("Error updating pod", metadata: ["pod": "\(pod.key)", "err": "\(error)"])
        }
    }

    /// Informer objects from a list carry no kind; the event's involvedObject needs it.
    static func involved(_ pod: PodInfo) -> JSONValue {
        var object = pod.object
        object["kind"] = "Pod"
        object["apiVersion"] = "v1"
        return object
    }
}
