import KubeJSON

/// The fields each kind lets clients select on (`--field-selector`), beyond metadata.name and metadata.namespace,
/// with the values upstream's GetAttrs functions expose.
enum FieldSets {
    static let pod: Set<String> = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                                   "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"]
    static let event: Set<String> = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                                     "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                                     "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"]

    static func fields(for resource: String, group: String) -> Set<String> {
        switch (group, resource) {
        case ("", "pods"): return pod
        case ("", "events"): return event
        case ("", "namespaces"): return ["status.phase"]
        case ("", "nodes"): return ["spec.unschedulable"]
        case ("", "secrets"): return ["type"]
        case ("", "replicationcontrollers"): return ["status.replicas"]
        case ("certificates.k8s.io", "certificatesigningrequests"): return ["spec.signerName"]
        // upstream's events.k8s.io/v1 field label conversions (onto core's: the same objects).
        case ("events.k8s.io", "events"): return ["regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
                                                  "regarding.apiVersion", "regarding.resourceVersion", "regarding.fieldPath",
                                                  "reason", "type", "reportingController"]
        default: return []
        }
    }

    static func string(_ v: JSONValue?) -> String {
        switch v {
        case .string(let s)?: return s
        case .bool(let b)?: return b ? "true" : "false"
        case .int(let i)?: return String(i)
        default: return ""
        }
    }
}
