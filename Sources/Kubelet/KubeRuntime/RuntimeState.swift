import CRIClient
import FoundationEssentials

/// What the kubelet last learned of its container runtime (upstream's runtimeState, fed by updateRuntimeUp every
/// 5 s), and the Node Ready message it makes: a runtime that has not answered Status for 30 s is down, one that
/// answers reports its RuntimeReady and NetworkReady conditions (no CNI config: `container runtime network not ready:
/// NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized`).
struct RuntimeState: Sendable, Equatable {
    /// upstream's maxWaitForContainerRuntime.
    static let threshold: TimeInterval = 30

    private(set) var lastSync: Date?
    private(set) var runtimeError: String?
    private(set) var networkError: String?

    /// A Status answer (upstream's updateRuntimeUp): network first, then the runtime, which must be ready for the
    /// check to count as a sync.
    mutating func record(_ status: Runtime_V1_RuntimeStatus, at now: Date) {
        let network = status.conditions.first { $0.type == "NetworkReady" }
        networkError = network?.status == true ? nil : "container runtime network not ready: \(Self.describe(network))"
        let runtime = status.conditions.first { $0.type == "RuntimeReady" }
        guard runtime?.status == true else {
            runtimeError = "container runtime not ready: \(Self.describe(runtime))"
            return
        }
        runtimeError = nil
        lastSync = now
    }

    /// Go's `%v` of a *RuntimeCondition: `Type=bool reason:… message:…`, or `<nil>` when the runtime sent none.
    static func describe(_ condition: Runtime_V1_RuntimeCondition?) -> String {
        guard let c = condition else { return "<nil>" }
        return "\(c.type)=\(c.status) reason:\(c.reason) message:\(c.message)"
    }

    /// Why the node is not ready because of its runtime, as upstream's Ready condition words it; nil when it is fine.
    func problem(now: Date) -> String? {
        var errors: [String] = []
        if let lastSync {
            if now.timeIntervalSince(lastSync) >= Self.threshold { errors.append("container runtime is down") }
        } else {
            errors.append("container runtime status check may not have completed yet")
        }
        if let runtimeError { errors.append(runtimeError) }
        if let networkError { errors.append(networkError) }
        // utilerrors.NewAggregate's Error(): one message alone, several in brackets.
        switch errors.count {
        case 0: return nil
        case 1: return errors[0]
        default: return "[" + errors.joined(separator: ", ") + "]"
        }
    }
}
