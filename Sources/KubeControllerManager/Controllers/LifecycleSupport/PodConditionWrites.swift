import KubeAPI
import KubeJSON

extension Lifecycle {
    private struct ConditionsView: Decodable {
        struct Status: Decodable { var conditions: [PodCondition]? }
        var status: Status?
    }

    /// The pod's `status.conditions`, typed; throws `UndecodableObject` naming the pod and the field.
    static func podConditions(_ pod: JSONValue) throws -> [PodCondition] {
        do {
            return try ConditionsView(json: pod).status?.conditions ?? []
        } catch {
            throw UndecodableObject(kind: "Pod", namespace: pod.metaNamespace, name: pod.metaName, error: error)
        }
    }

    /// Sets (adding or replacing) a condition in the pod's `status.conditions`; the transition time moves only when
    /// the status changes, as upstream's UpdatePodCondition. Only that condition is rewritten, merged into the stored
    /// one, so the others (and fields Kubestrap does not model) stay as stored. False when nothing changed.
    static func setPodCondition(_ pod: inout JSONValue, _ condition: PodCondition, now: String) throws -> Bool {
        let conditions = try podConditions(pod)
        var stored = pod[path: ["status", "conditions"]]?.array ?? []
        var next = condition
        if let index = conditions.firstIndex(where: { $0.type == condition.type }), index < stored.count {
            let old = conditions[index]
            next.lastTransitionTime = old.status != condition.status ? now : old.lastTransitionTime ?? now
            // The probe time is the kubelet's; comparing without it says whether anything changed.
            var oldCompared = old, nextCompared = next
            oldCompared.lastProbeTime = nil
            nextCompared.lastProbeTime = nil
            if oldCompared == nextCompared { return false }
            stored[index] = try Typed<PodCondition>(stored[index]).merging(next)
        } else {
            next.lastTransitionTime = now
            stored.append(try JSONValueEncoder().encode(next))
        }
        pod[path: ["status", "conditions"]] = .array(stored)
        return true
    }
}
