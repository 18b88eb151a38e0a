import KubeJSON

/// The RBAC objects upstream's apiserver reconciles at start (rbac/bootstrappolicy), reduced to the resources this
/// server serves, plus kubeadm's `kubeadm:cluster-admins` binding so that admin.conf (O=kubeadm:cluster-admins)
/// works without a system:masters certificate.
enum BootstrapPolicy {
    static let autoupdate = ["rbac.authorization.kubernetes.io/autoupdate": "true"]
    static let bootstrapping = ["kubernetes.io/bootstrapping": "rbac-defaults"]

    static func rule(_ verbs: [String], groups: [String] = [""], resources: [String], names: [String] = []) -> JSONValue {
        var r: JSONValue = [
            "verbs": .array(verbs.map { .string($0) }), "apiGroups": .array(groups.map { .string($0) }),
            "resources": .array(resources.map { .string($0) }),
        ]
        if !names.isEmpty { r["resourceNames"] = .array(names.map { .string($0) }) }
        return r
    }

    static func urls(_ verbs: [String], _ paths: [String]) -> JSONValue {
        ["verbs": .array(verbs.map { .string($0) }), "nonResourceURLs": .array(paths.map { .string($0) })]
    }

    static let read = ["get", "list", "watch"]
    static let write = ["create", "delete", "deletecollection", "patch", "update"]

    static func clusterRole(_ name: String, _ rules: [JSONValue], aggregateLabels: [String: String] = [:],
                            aggregatesFrom selectorLabel: String? = nil) -> JSONValue {
        var labels = bootstrapping
        for (k, v) in aggregateLabels { labels[k] = v }
        var role: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": ["name": .string(name), "labels": JSONValue(labels), "annotations": JSONValue(autoupdate)],
            "rules": .array(rules),
        ]
        if let selectorLabel {
            role["aggregationRule"] = ["clusterRoleSelectors": [["matchLabels": [selectorLabel: "true"]]]]
        }
        return role
    }

    static func userSubject(_ name: String) -> JSONValue {
        ["kind": "User", "name": .string(name), "apiGroup": "rbac.authorization.k8s.io"]
    }

    /// A ServiceAccount subject is in the core group and names its namespace, as the RBAC strategy defaults it.
    static func serviceAccountSubject(_ namespace: String, _ name: String) -> JSONValue {
        ["kind": "ServiceAccount", "name": .string(name), "namespace": .string(namespace), "apiGroup": ""]
    }

    static func clusterRoleBinding(_ name: String, role: String, subjects: [(String, String)],
                                   serviceAccounts: [(String, String)] = []) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": ["name": .string(name), "labels": JSONValue(bootstrapping), "annotations": JSONValue(autoupdate)],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
            "subjects": .array(subjects.map { kind, name in
                ["kind": .string(kind), "name": .string(name), "apiGroup": "rbac.authorization.k8s.io"]
            } + serviceAccounts.map(serviceAccountSubject)),
        ]
    }

    static var clusterRoles: [JSONValue] {
        let viewResources = ["configmaps", "endpoints", "persistentvolumeclaims", "pods", "pods/log", "pods/status",
                             "replicationcontrollers", "services", "services/status", "bindings", "events", "limitranges",
                             "namespaces/status", "resourcequotas", "serviceaccounts", "namespaces"]
        let editResources = ["configmaps", "endpoints", "persistentvolumeclaims", "pods", "pods/attach", "pods/exec",
                             "pods/portforward", "pods/proxy", "replicationcontrollers", "secrets", "serviceaccounts",
                             "services", "services/proxy", "events"]
        // admin, edit and view are aggregated from the system:aggregate-to-* roles (and from any ClusterRole a user
        // labels the same way); their rules are written precomputed, in the order the aggregation controller keeps,
        // so they work from the first request on.
        let appsView = ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
                        "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"]
        let appsEdit = ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale",
                        "statefulsets", "statefulsets/scale"]
        let toView = [
            rule(read, resources: viewResources),
            rule(read, groups: ["discovery.k8s.io"], resources: ["endpointslices"]),
            rule(read, groups: ["apps"], resources: appsView),
            rule(read, groups: ["batch"], resources: ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
            rule(read, groups: ["networking.k8s.io"], resources: ["ingresses", "ingresses/status", "networkpolicies"]),
            rule(read, groups: ["policy"], resources: ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
            rule(read, groups: ["coordination.k8s.io"], resources: ["leases"]),
            rule(read, groups: ["events.k8s.io"], resources: ["events"]),
        ]
        let toEdit = [
            rule(["impersonate"], resources: ["serviceaccounts"]), rule(["create"], resources: ["serviceaccounts/token"]),
            rule(read + write, resources: editResources), rule(["create"], resources: ["pods/eviction"]),
            rule(read + write, groups: ["apps"], resources: appsEdit),
            rule(read + write, groups: ["batch"], resources: ["cronjobs", "jobs"]),
            rule(read + write, groups: ["networking.k8s.io"], resources: ["ingresses", "networkpolicies"]),
            rule(read + write, groups: ["policy"], resources: ["poddisruptionbudgets"]),
            rule(read + write, groups: ["coordination.k8s.io"], resources: ["leases"]),
            rule(read + write, groups: ["events.k8s.io"], resources: ["events"]),
        ]
        let toAdmin = [
            rule(read + write, groups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"]),
            rule(["create"], groups: ["authorization.k8s.io"], resources: ["localsubjectaccessreviews"]),
        ]
        let view = toView
        let edit = toEdit + view.filter { !toEdit.contains($0) }
        let admin = edit + toAdmin.filter { !edit.contains($0) }
        let aggregate = "rbac.authorization.k8s.io/aggregate-to-"
        return [
            clusterRole("cluster-admin", [rule(["*"], groups: ["*"], resources: ["*"]), urls(["*"], ["*"])]),
            clusterRole("admin", admin, aggregatesFrom: aggregate + "admin"),
            clusterRole("edit", edit, aggregateLabels: [aggregate + "admin": "true"], aggregatesFrom: aggregate + "edit"),
            clusterRole("view", view, aggregateLabels: [aggregate + "edit": "true"], aggregatesFrom: aggregate + "view"),
            clusterRole("system:aggregate-to-admin", toAdmin, aggregateLabels: [aggregate + "admin": "true"]),
            clusterRole("system:aggregate-to-edit", toEdit, aggregateLabels: [aggregate + "edit": "true"]),
            clusterRole("system:aggregate-to-view", toView, aggregateLabels: [aggregate + "view": "true"]),
            clusterRole("system:public-info-viewer", [urls(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"])]),
            clusterRole("system:discovery", [urls(["get"], ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                                                           "/openapi", "/openapi/*", "/readyz", "/version", "/version/"])]),
            clusterRole("system:basic-user", [
                rule(["create"], groups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
                rule(["create"], groups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"]),
            ]),
            clusterRole("system:service-account-issuer-discovery", [
                urls(["get"], ["/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"]),
            ]),
            clusterRole("system:auth-delegator", [
                rule(["create"], groups: ["authentication.k8s.io"], resources: ["tokenreviews"]),
                rule(["create"], groups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"]),
            ]),
            // For the API registry and proxy handling: whether the Services APIServices point to exist.
            clusterRole("system:kube-aggregator", [rule(read, resources: ["services", "endpoints"])]),
            // Full access to the kubelet API (nodes/proxy and the rest), for the apiserver's kubelet client and its like.
            clusterRole("system:kubelet-api-admin", [
                rule(read, resources: ["nodes"]),
                rule(["proxy"], resources: ["nodes"]),
                rule(["*"], resources: ["nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log"]),
            ]),
            clusterRole("system:monitoring", [urls(["get"], ["/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics",
                                                            "/readyz", "/readyz/*"])]),
            clusterRole("system:node", [
                rule(read + ["create", "update", "patch", "delete"], resources: ["nodes"]),
                rule(["patch", "update"], resources: ["nodes/status", "pods/status"]),
                rule(read + ["create", "delete"], resources: ["pods"]),
                rule(read, resources: ["services", "endpoints"]),
                rule(["create", "patch", "update"], groups: ["", "events.k8s.io"], resources: ["events"]),
                rule(read + ["create", "update", "patch", "delete"], groups: ["coordination.k8s.io"], resources: ["leases"]),
                // Its client certificate's rotation.
                rule(["create", "get", "list", "watch"], groups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"]),
            ]),
            clusterRole("system:kube-scheduler", [
                rule(["create", "patch", "update"], groups: ["", "events.k8s.io"], resources: ["events"]),
                rule(["create"], groups: ["coordination.k8s.io"], resources: ["leases"]),
                rule(["get", "update"], groups: ["coordination.k8s.io"], resources: ["leases"], names: ["kube-scheduler"]),
                rule(read, resources: ["nodes"]),
                // delete: preemption evicts lower-priority pods.
                rule(read + ["delete"], resources: ["pods"]),
                rule(["create"], resources: ["pods/binding", "bindings"]),
                rule(["patch", "update"], resources: ["pods/status"]),
                // What selects pods, for spreading.
                rule(read, resources: ["services", "replicationcontrollers"]),
                rule(read, groups: ["apps", "extensions"], resources: ["replicasets"]),
                rule(read, groups: ["apps"], resources: ["statefulsets"]),
                rule(read, groups: ["policy"], resources: ["poddisruptionbudgets"]),
                rule(read, resources: ["persistentvolumeclaims", "persistentvolumes"]),
                // Delegated authentication and authorization of its own secure port.
                rule(["create"], groups: ["authentication.k8s.io"], resources: ["tokenreviews"]),
                rule(["create"], groups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"]),
                rule(read, groups: ["storage.k8s.io"], resources: ["csinodes"]),
                rule(read, resources: ["namespaces"]),
                rule(read, groups: ["storage.k8s.io"], resources: ["csidrivers"]),
                rule(read, groups: ["storage.k8s.io"], resources: ["csistoragecapacities"]),
            ]),
            // kube-proxy: Services and their endpoints to program, its Node, and events.
            clusterRole("system:node-proxier", [
                rule(["list", "watch"], resources: ["services", "endpoints"]),
                rule(read, resources: ["nodes"]),
                rule(["create", "patch", "update"], groups: ["", "events.k8s.io"], resources: ["events"]),
                rule(["list", "watch"], groups: ["discovery.k8s.io"], resources: ["endpointslices"]),
            ]),
            // Bound to the scheduler too: volume binding during scheduling.
            clusterRole("system:volume-scheduler", [
                rule(read + ["update"], resources: ["persistentvolumes"]),
                rule(read, groups: ["storage.k8s.io"], resources: ["storageclasses"]),
                rule(read + ["update"], resources: ["persistentvolumeclaims"]),
            ]),
            clusterRole("system:kube-controller-manager", [
                rule(["create", "patch", "update"], groups: ["", "events.k8s.io"], resources: ["events"]),
                rule(["create"], groups: ["coordination.k8s.io"], resources: ["leases"]),
                rule(["get", "update"], groups: ["coordination.k8s.io"], resources: ["leases"], names: ["kube-controller-manager"]),
                // With --use-service-account-credentials it makes each controller's account and asks for its tokens.
                rule(["create"], resources: ["secrets", "serviceaccounts"]),
                rule(["delete"], resources: ["secrets"]),
                rule(["get"], resources: ["configmaps", "namespaces", "secrets", "serviceaccounts"]),
                rule(["update"], resources: ["secrets", "serviceaccounts"]),
                rule(["create"], groups: ["authentication.k8s.io"], resources: ["tokenreviews"]),
                rule(["create"], groups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"]),
                // Its shared informers.
                rule(["list", "watch"], groups: ["*"], resources: ["*"]),
                rule(["create"], resources: ["serviceaccounts/token"]),
                // Beyond upstream (which grants list/watch only): get on everything, as earlier releases did.
                rule(read, groups: ["*"], resources: ["*"]),
            ]),
        ] + certificateClusterRoles + controllerClusterRoles
    }

    /// The CSR roles upstream bootstraps: a kubelet's bootstrap identity creates CSRs, `nodeclient` and
    /// `selfnodeclient` are what the csrapproving controller's SubjectAccessReviews ask about, and the approver roles
    /// grant `approve` on one signer each (what the CertificateApproval admission plugin checks).
    static var certificateClusterRoles: [JSONValue] {
        let group = ["certificates.k8s.io"]
        var roles = [
            clusterRole("system:node-bootstrapper", [
                rule(["create", "get", "list", "watch"], groups: group, resources: ["certificatesigningrequests"]),
            ]),
            clusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [
                rule(["create"], groups: group, resources: ["certificatesigningrequests/nodeclient"]),
            ]),
            clusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [
                rule(["create"], groups: group, resources: ["certificatesigningrequests/selfnodeclient"]),
            ]),
        ]
        for (role, signer) in [("kube-apiserver-client-approver", "kubernetes.io/kube-apiserver-client"),
                               ("kube-apiserver-client-kubelet-approver", "kubernetes.io/kube-apiserver-client-kubelet"),
                               ("kubelet-serving-approver", "kubernetes.io/kubelet-serving"),
                               ("legacy-unknown-approver", "kubernetes.io/legacy-unknown")] {
            roles.append(clusterRole("system:certificates.k8s.io:\(role)",
                                     [rule(["approve"], groups: group, resources: ["signers"], names: [signer])]))
        }
        return roles
    }

    static var clusterRoleBindings: [JSONValue] {
        [
            clusterRoleBinding("cluster-admin", role: "cluster-admin", subjects: [("Group", "system:masters")]),
            clusterRoleBinding("kubeadm:cluster-admins", role: "cluster-admin", subjects: [("Group", "kubeadm:cluster-admins")]),
            clusterRoleBinding("system:public-info-viewer", role: "system:public-info-viewer",
                               subjects: [("Group", "system:authenticated"), ("Group", "system:unauthenticated")]),
            clusterRoleBinding("system:discovery", role: "system:discovery", subjects: [("Group", "system:authenticated")]),
            clusterRoleBinding("system:basic-user", role: "system:basic-user", subjects: [("Group", "system:authenticated")]),
            clusterRoleBinding("system:monitoring", role: "system:monitoring", subjects: [("Group", "system:monitoring")]),
            clusterRoleBinding("system:service-account-issuer-discovery", role: "system:service-account-issuer-discovery",
                               subjects: [("Group", "system:serviceaccounts")]),
            clusterRoleBinding("system:kube-scheduler", role: "system:kube-scheduler", subjects: [("User", "system:kube-scheduler")]),
            clusterRoleBinding("system:volume-scheduler", role: "system:volume-scheduler", subjects: [("User", "system:kube-scheduler")]),
            clusterRoleBinding("system:kube-controller-manager", role: "system:kube-controller-manager",
                               subjects: [("User", "system:kube-controller-manager")]),
            clusterRoleBinding("system:node-proxier", role: "system:node-proxier", subjects: [("User", "system:kube-proxy")]),
        ] + controllerClusterRoleBindings
    }
}
