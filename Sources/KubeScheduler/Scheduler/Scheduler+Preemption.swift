import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// The API side of a preemption (upstream's prepareCandidate): each victim gets the DisruptionTarget condition and
/// is deleted, with a `Preempted` event; lower-priority pods nominated to the same node lose their nomination.
extension Scheduler {
    func evict(_ victims: [PodInfo], for preemptor: PodInfo, on node: String, unnominating displaced: [PodInfo]) async {
        for victim in victims {
            do {
                try await markDisruptionTarget(victim, by: preemptor)
                try await client.delete(.pods, namespace: victim.namespace, name: victim.name, options: DeleteOptions())
                logger.info("Preemptor pod preempted victim pod",
                            metadata: ["preemptor": "\(preemptor.key)", "victim": "\(victim.key)", "node": "\(node)"])
                recorders[preemptor.schedulerName]?.event(Self.involved(victim), reason: "Preempted",
                                                          message: "Preempted by pod \(preemptor.uid) on node \(node)")
            } catch let error as APIError where error.isNotFound {
                continue
            } catch {
                if Task.isCancelled { return }
                logger.error("Preempting pod", metadata: ["pod": "\(victim.key)", "preemptor": "\(preemptor.key)", "err": "\(error)"])
            }
        }
        for pod in displaced {
            do {
                _ = try await client.patch(.pods, namespace: pod.namespace, name: pod.name, type: .merge,
                                           body: ["status": ["nominatedNodeName": .null]], subresource: "status")
            } catch {
                if Task.isCancelled { return }
                logger.error("Cannot clear 'NominatedNodeName' field", metadata: ["pod": "\(pod.key)", "err": "\(error)"])
            }
        }
    }

    /// DisruptionTarget=True with reason PreemptionByScheduler, written before the delete as upstream does, so the
    /// victim's controllers (Jobs' pod failure policies) can tell why it went. Unchanged conditions are not rewritten.
    private func markDisruptionTarget(_ victim: PodInfo, by preemptor: PodInfo) async throws {
        let message = "\(preemptor.schedulerName): preempting to accommodate a higher priority pod"
        let conditions = victim.object[path: ["status", "conditions"]]?.array ?? []
        let existing = conditions.first { $0["type"]?.string == DefaultPreemption.disruptionTarget }
        if existing?["status"] == "True", existing?["reason"]?.string == DefaultPreemption.preemptionReason,
           existing?["message"]?.string == message { return }
        let transition: JSONValue = existing?["status"] == "True" ? existing?["lastTransitionTime"] ?? .string(clock.timestamp())
                                                                  : .string(clock.timestamp())
        let condition: JSONValue = ["type": .string(DefaultPreemption.disruptionTarget), "status": "True",
                                    "reason": .string(DefaultPreemption.preemptionReason), "message": .string(message),
                                    "lastProbeTime": .null, "lastTransitionTime": transition]
        let updated = conditions.filter { $0["type"]?.string != DefaultPreemption.disruptionTarget } + [condition]
        _ = try await client.patch(.pods, namespace: victim.namespace, name: victim.name, type: .strategicMerge,
                                   body: ["status": ["conditions": .array(updated)]], subresource: "status")
    }
}
