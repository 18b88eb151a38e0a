/// upstream's Node authorizer, reduced to what a kubelet without volumes does: a node (`system:node:<name>` in
/// `system:nodes`) reads nodes, pods, services and endpoints, writes its own Node and Lease, mirror pods and pod
/// status, and events. Object-level checks that need the body (mirror annotation, spec.nodeName) are made by the
/// NodeRestriction admission plugin.
public struct NodeAuthorizer: Authorizer {
    public init() {}

    public func authorize(_ a: AuthorizationAttributes) async -> AuthorizationDecision {
        guard let node = a.user.nodeName else { return .noOpinion("") }
        guard a.isResourceRequest else {
            return ["/healthz", "/livez", "/readyz", "/version", "/api", "/apis"].contains(where: { a.path == $0 || a.path.hasPrefix($0 + "/") })
                && a.verb == "get" ? .allow : .noOpinion("")
        }
        let read = ["get", "list", "watch"].contains(a.verb)
        let write = ["create", "update", "patch"].contains(a.verb)
        switch (a.apiGroup, a.resource, a.subresource) {
        case ("", "nodes", ""):
            if read || a.verb == "create" { return .allow }
            if write || a.verb == "delete" {
                return a.name == node ? .allow : .noOpinion("node '\(node)' cannot modify node '\(a.name)'")
            }
        case ("", "nodes", "status"):
            if a.verb == "get" || write { return a.name == node ? .allow : .noOpinion("node '\(node)' cannot modify node '\(a.name)'") }
        case ("", "pods", ""):
            if read || a.verb == "create" || a.verb == "delete" { return .allow }
        case ("", "pods", "status"):
            if a.verb == "get" || a.verb == "update" || a.verb == "patch" { return .allow }
        case ("", "pods", "eviction"):
            if a.verb == "create" { return .allow }
        case ("", "services", ""), ("", "endpoints", ""):
            if read { return .allow }
        case ("", "namespaces", ""):
            if a.verb == "get" { return .allow }
        case ("node.k8s.io", "runtimeclasses", ""):
            // A pod's runtimeClassName picks the runtime handler (upstream's NodeRules allow get/list/watch).
            if read { return .allow }
        case ("", "events", ""), ("events.k8s.io", "events", ""):
            if write { return .allow }
        case ("coordination.k8s.io", "leases", ""):
            guard a.namespace == "kube-node-lease" else { return .noOpinion("") }
            if a.verb == "create" { return .allow }
            if read || write || a.verb == "delete" {
                return a.name.isEmpty || a.name == node ? .allow : .noOpinion("node '\(node)' cannot access lease '\(a.name)'")
            }
        case ("certificates.k8s.io", "certificatesigningrequests", ""):
            // Rotating its client certificate (upstream's NodeRules); whether it is approved is RBAC's selfnodeclient.
            if read || a.verb == "create" { return .allow }
        case ("authentication.k8s.io", "tokenreviews", ""), ("authorization.k8s.io", "subjectaccessreviews", ""):
            if a.verb == "create" { return .allow }
        default:
            break
        }
        return .noOpinion("")
    }
}
