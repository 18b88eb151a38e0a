/// upstream's Node authorizer: a node (`system:node:<name>` in `system:nodes`) reads nodes, pods, services and
/// endpoints, writes its own Node and Lease, mirror pods and pod status, and events; the Secrets, ConfigMaps,
/// PersistentVolumeClaims and PersistentVolumes its pods reference it may only get (or list/watch by name), and
/// tokens only of its pods' service accounts, as `NodeGraph` links them. Object-level checks that need the body
/// (mirror annotation, spec.nodeName) are made by the NodeRestriction admission plugin.
public struct NodeAuthorizer: Authorizer {
    let graph: NodeGraph?

    /// Without a graph no node reaches any Secret, ConfigMap, claim, volume or service account token.
    init(graph: NodeGraph?) { self.graph = graph }

    public init() { self.graph = nil }

    public func authorize(_ a: AuthorizationAttributes) async -> AuthorizationDecision {
        guard let node = a.user.nodeName else { return .noOpinion("") }
        guard a.isResourceRequest else {
            return ["/healthz", "/livez", "/readyz", "/version", "/api", "/apis"].contains(where: { a.path == $0 || a.path.hasPrefix($0 + "/") })
                && a.verb == "get" ? .allow : .noOpinion("")
        }
        let read = ["get", "list", "watch"].contains(a.verb)
        let write = ["create", "update", "patch"].contains(a.verb)
        switch (a.apiGroup, a.resource) {
        case ("", "secrets"), ("", "configmaps"):
            // The kubelet reads each by name: a get, or a list/watch with a metadata.name field selector.
            guard read else { return .noOpinion("can only read resources of this type") }
            guard a.subresource.isEmpty else { return .noOpinion("cannot read subresource") }
            guard !a.namespace.isEmpty else { return .noOpinion("can only read namespaced object of this type") }
            return await related(node, a)
        case ("", "persistentvolumeclaims"):
            if a.subresource == "status" {
                guard a.verb == "update" || a.verb == "patch" else { return .noOpinion("can only get/update/patch this type") }
                return await related(node, a)
            }
            fallthrough
        case ("", "persistentvolumes"):
            guard a.verb == "get" else { return .noOpinion("can only get individual resources of this type") }
            guard a.subresource.isEmpty else { return .noOpinion("cannot get subresource") }
            return await related(node, a)
        case ("", "serviceaccounts"):
            guard a.verb == "create", !a.name.isEmpty else { return .noOpinion("can only create tokens for individual service accounts") }
            guard a.subresource == "token" else { return .noOpinion("can only create token subresource of serviceaccount") }
            return await related(node, a)
        default:
            break
        }
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

    /// Allowed when a pod bound to the node references the named object.
    private func related(_ node: String, _ a: AuthorizationAttributes) async -> AuthorizationDecision {
        guard !a.name.isEmpty else { return .noOpinion("No Object name found") }
        let reference = NodeGraph.Reference(resource: a.resource, namespace: a.namespace, name: a.name)
        if let graph, await graph.hasPath(from: node, to: reference) { return .allow }
        return .noOpinion("no relationship found between node '\(node)' and this object")
    }
}
