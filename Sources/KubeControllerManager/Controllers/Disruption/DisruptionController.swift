import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// Upstream's disruption controller: a PodDisruptionBudget's status says how many of its pods are healthy, how
/// many must be, and so how many may be disrupted (evicted) now, with the DisruptionAllowed condition. The queue
/// holds PDB keys; a pod change queues the budgets in its namespace that select it.
public final class DisruptionController: Controller {
    /// A pod the eviction API marked disrupted counts as gone for this long unless it is deleted (DeletionTimeout).
    static let deletionTimeout: Double = 120

    let context: ControllerContext
    let budgets: SharedInformer
    let pods: SharedInformer
    let replicaSets: SharedInformer
    let deployments: SharedInformer
    let statefulSets: SharedInformer
    let worker: QueueWorker

    public init(context: ControllerContext) {
        self.context = context
        budgets = context.informers.informer(.podDisruptionBudgets)
        pods = context.informers.informer(.pods)
        replicaSets = context.informers.informer(.replicaSets)
        deployments = context.informers.informer(.deployments)
        statefulSets = context.informers.informer(.statefulSets)
        worker = QueueWorker(name: "disruption", workers: 1, clock: context.clock, logger: context.logger)
        let queue = worker.queue
        budgets.addEventHandler(EventHandler.any { queue.add(ObjectCache.key($0)) })
        let budgetCache = budgets.cache
        let enqueue: @Sendable (JSONValue) -> Void = { pod in
            for budget in budgetCache.byIndex(Indexes.namespace, Lifecycle.namespace(pod)) {
                guard let selector = Self.selector(budget), selector.matches(pod.metaLabels) else { continue }
                queue.add(ObjectCache.key(budget))
            }
        }
        pods.addEventHandler(EventHandler(
            onAdd: enqueue,
            onUpdate: { old, new in
                if Lifecycle.isPodReady(old) != Lifecycle.isPodReady(new) || Lifecycle.labels(old) != Lifecycle.labels(new)
                    || Lifecycle.isDeleting(old) != Lifecycle.isDeleting(new) {
                    enqueue(old)
                    enqueue(new)
                }
            },
            onDelete: enqueue))
    }

    /// policy/v1: a nil selector selects nothing, an empty one every pod in the namespace.
    static func selector(_ budget: JSONValue) -> Labels.Selector? {
        guard let json = budget[path: ["spec", "selector"]], json != .null else { return nil }
        return (try? LabelSelector(json: json))?.asSelector()
    }

    public func run() async {
        await worker.run(context: context) { try await self.sync($0) }
    }

    struct Counts: Equatable {
        var currentHealthy: Int
        var desiredHealthy: Int
        var expectedPods: Int
    }

    func sync(_ key: String) async throws {
        guard let budget = budgets.cache.get(key) else { return }
        guard let selector = Self.selector(budget) else {
            context.logger.info("PodDisruptionBudget \(key) has no usable selector; no pods match")
            try await write(budget, Counts(currentHealthy: 0, desiredHealthy: 0, expectedPods: 0), disrupted: [:], failure: nil)
            return
        }
        let matching = pods.cache.byIndex(Indexes.namespace, Lifecycle.namespace(budget)).filter { selector.matches($0.metaLabels) }
        if matching.isEmpty {
            context.recorder.event(budget, reason: "NoPods", message: "No matching pods found")
        }
        let now = context.clock.now()
        let disrupted = disruptedPods(budget, matching, now: now)
        do {
            let (expected, desired) = try expectedAndDesired(budget, matching)
            let healthy = matching.filter { pod in
                guard !Lifecycle.isDeleting(pod), Lifecycle.isPodReady(pod) else { return false }
                return disrupted[Lifecycle.name(pod)] == nil
            }.count
            try await write(budget, Counts(currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected),
                            disrupted: disrupted, failure: nil)
        } catch let error as DisruptionError {
            // failSafe: no disruption allowed while the budget cannot be computed.
            context.recorder.event(budget, type: "Warning", reason: "CalculateExpectedPodCountFailed",
                                   message: "Failed to calculate the number of expected pods: \(error.message)")
            let status = budget["status"] ?? .emptyObject
            try await write(budget, Counts(currentHealthy: Lifecycle.int32(status["currentHealthy"]) ?? 0,
                                           desiredHealthy: Lifecycle.int32(status["desiredHealthy"]) ?? 0,
                                           expectedPods: Lifecycle.int32(status["expectedPods"]) ?? 0),
                            disrupted: disrupted, failure: error.message)
        }
    }

    /// buildDisruptedPodMap: the eviction API's marks that still count; deleted pods' and expired ones go.
    func disruptedPods(_ budget: JSONValue, _ matching: [JSONValue], now: Double) -> [String: String] {
        let marks = budget[path: ["status", "disruptedPods"]]?.stringMap ?? [:]
        var result: [String: String] = [:]
        for pod in matching where !Lifecycle.isDeleting(pod) {
            let name = Lifecycle.name(pod)
            guard let mark = marks[name], let at = SystemClock.parse(mark) else { continue }
            if at + Self.deletionTimeout < now {
                context.recorder.event(pod, type: "Warning", reason: "NotDeleted",
                                       message: "Pod was expected by PDB \(ObjectCache.key(budget)) to be deleted but it wasn't")
                continue
            }
            result[name] = mark
        }
        return result
    }
}

struct DisruptionError: Error {
    var message: String
}
