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

    /// policy/v1: a nil selector selects nothing, an empty one every pod in the namespace. Only this field is read:
    /// it runs for every budget of the namespace on every pod change.
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
        guard let json = budgets.cache.get(key) else { return }
        let budget: Typed<PodDisruptionBudget>
        let matching: [BudgetPod]
        do {
            budget = try Workloads.typed(json)
            guard let selector = budget.object.spec.selector?.asSelector() else {
                context.logger.info("PodDisruptionBudget \(key) has no usable selector; no pods match")
                try await write(budget, Counts(currentHealthy: 0, desiredHealthy: 0, expectedPods: 0), disrupted: [:], failure: nil)
                return
            }
            matching = try pods.cache.byIndex(Indexes.namespace, json.metaNamespace).filter { selector.matches($0.metaLabels) }.map(BudgetPod.init)
        } catch let error as UndecodableObject {
            context.logger.warning("disruption-controller: skipping \(key): \(error)")
            return
        }
        if matching.isEmpty {
            context.recorder.event(json, reason: "NoPods", message: "No matching pods found")
        }
        let now = context.clock.now()
        let disrupted = disruptedPods(budget, matching, now: now)
        do {
            let (expected, desired) = try expectedAndDesired(budget.object.spec, matching)
            let healthy = matching.filter { pod in !pod.isDeleting && pod.isReady && disrupted[pod.name] == nil }.count
            try await write(budget, Counts(currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected),
                            disrupted: disrupted, failure: nil)
        } catch let error as DisruptionError {
            // failSafe: no disruption allowed while the budget cannot be computed.
            context.recorder.event(json, type: "Warning", reason: "CalculateExpectedPodCountFailed",
                                   message: "Failed to calculate the number of expected pods: \(error.message)")
            let status = budget.object.status
            try await write(budget, Counts(currentHealthy: Int(status.currentHealthy), desiredHealthy: Int(status.desiredHealthy),
                                           expectedPods: Int(status.expectedPods)),
                            disrupted: disrupted, failure: error.message)
        } catch let error as UndecodableObject {
            context.logger.warning("disruption-controller: skipping \(key): \(error)")
        }
    }

    /// buildDisruptedPodMap: the eviction API's marks that still count; deleted pods' and expired ones go.
    func disruptedPods(_ budget: Typed<PodDisruptionBudget>, _ matching: [BudgetPod], now: Double) -> [String: String] {
        let marks = budget.object.status.disruptedPods ?? [:]
        var result: [String: String] = [:]
        for pod in matching where !pod.isDeleting {
            guard let mark = marks[pod.name], let at = SystemClock.parse(mark) else { continue }
            if at + Self.deletionTimeout < now {
                context.recorder.event(pod.json, type: "Warning", reason: "NotDeleted",
                                       message: "Pod was expected by PDB \(ObjectCache.key(budget.json)) to be deleted but it wasn't")
                continue
            }
            result[pod.name] = mark
        }
        return result
    }
}

/// A pod as the disruption controller reads it: readiness and its controller, decoded only for the pods a budget
/// selects (the event handler compares the JSON).
struct BudgetPod: Sendable {
    let json: JSONValue
    let isReady: Bool
    let controllerRef: OwnerReference?

    private struct View: Decodable {
        struct Meta: Decodable { var ownerReferences: [OwnerReference]? }
        struct Status: Decodable { var conditions: [PodCondition]? }
        var metadata: Meta?
        var status: Status?
    }

    init(_ json: JSONValue) throws {
        self.json = json
        do {
            let view = try View(json: json)
            isReady = view.status?.conditions?.first { $0.type == "Ready" }?.status == "True"
            controllerRef = view.metadata?.ownerReferences?.first { $0.controller == true }
        } catch {
            throw UndecodableObject(kind: "Pod", namespace: json.metaNamespace, name: json.metaName, error: error)
        }
    }

    var name: String { json.metaName }
    var namespace: String { json.metaNamespace }
    var isDeleting: Bool { json.metaDeletionTimestamp != nil }
}

struct DisruptionError: Error {
    var message: String
}
