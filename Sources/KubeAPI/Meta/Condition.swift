/// meta/v1 Condition, the condition of newer APIs (a PodDisruptionBudget's, a Namespace's are core/v1's own).
public struct Condition: Codable, Sendable, Equatable {
    @GoValue public var type: String = ""
    @GoValue public var status: String = ""
    @OmitEmpty public var observedGeneration: Int64 = 0
    @GoValue public var lastTransitionTime: String = ""
    @GoValue public var reason: String = ""
    @GoValue public var message: String = ""

    public init(type: String, status: String, observedGeneration: Int64 = 0, reason: String, message: String = "",
                lastTransitionTime: String = "") {
        self.type = type
        self.status = status
        self.observedGeneration = observedGeneration
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }
}

extension Array where Element == Condition {
    /// meta.SetStatusCondition: adds or replaces the condition of its type; the transition time moves only when the
    /// status changes. False when nothing changed.
    @discardableResult
    public mutating func setStatusCondition(_ condition: Condition, now: String) -> Bool {
        var next = condition
        guard let index = firstIndex(where: { $0.type == condition.type }) else {
            next.lastTransitionTime = now
            append(next)
            return true
        }
        next.lastTransitionTime = self[index].status == condition.status && !self[index].lastTransitionTime.isEmpty
            ? self[index].lastTransitionTime : now
        guard self[index] != next else { return false }
        self[index] = next
        return true
    }
}
