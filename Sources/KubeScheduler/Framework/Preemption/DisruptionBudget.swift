import KubeAPI
import KubeJSON

/// A policy/v1 PodDisruptionBudget as preemption reads it: which pods it covers and how many may still go.
struct DisruptionBudget: Sendable {
    var namespace: String
    /// nil for a missing or empty selector, which (for budgets, unlike most selectors) matches nothing.
    var selector: Labels.Selector?
    var disruptionsAllowed: Int64
    /// Pods the disruption controller already counts as going: evicting them again costs nothing.
    var disruptedPods: Set<String>

    init(_ json: JSONValue) {
        namespace = json.metaNamespace
        let selector = json[path: ["spec", "selector"]]
        let empty = (selector?["matchLabels"]?.object ?? [:]).isEmpty && (selector?["matchExpressions"]?.array ?? []).isEmpty
        self.selector = empty ? nil : Labels.Selector(podSelector: selector)
        disruptionsAllowed = Int64(json.goInt32(["status", "disruptionsAllowed"]) ?? 0)
        disruptedPods = Set((json[path: ["status", "disruptedPods"]]?.object ?? [:]).keys)
    }

    /// upstream's filterPodsWithPDBViolation: walking `pods` in order, each one a budget covers takes one of its
    /// allowed disruptions; a pod that takes one the budget no longer has violates it. Order is kept in both lists.
    static func split(_ pods: [PodInfo], _ budgets: [DisruptionBudget]) -> (violating: [PodInfo], nonViolating: [PodInfo]) {
        var allowed = budgets.map(\.disruptionsAllowed)
        var violating: [PodInfo] = [], nonViolating: [PodInfo] = []
        for pod in pods {
            var violates = false
            if !pod.labels.isEmpty {
                for (i, budget) in budgets.enumerated() where budget.namespace == pod.namespace {
                    guard let selector = budget.selector, selector.matches(pod.labels),
                          !budget.disruptedPods.contains(pod.name) else { continue }
                    allowed[i] = allowed[i].saturatingAdd(-1)
                    if allowed[i] < 0 { violates = true }
                }
            }
            if violates { violating.append(pod) } else { nonViolating.append(pod) }
        }
        return (violating, nonViolating)
    }
}
